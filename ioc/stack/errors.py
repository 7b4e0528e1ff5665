"""Stack failures as one line of cause and one line of fix, never a stack trace."""

from __future__ import annotations


class StackError(Exception):
    """A problem the operator can fix: `cause` says what went wrong, `hint` what to do about it."""

    def __init__(self, cause: str, hint: str = "", log_tail: str = "") -> None:
        super().__init__(cause)
        self.cause = cause
        self.hint = hint
        self.log_tail = log_tail

    def __str__(self) -> str:
        return f"{self.cause} — {self.hint}" if self.hint else self.cause
