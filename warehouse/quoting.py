"""SQL text built from values a client sent (a database name, a setting's value, a query to parse)
is always quoted here, so that such a value can never become SQL of its own."""

from __future__ import annotations


def quote_identifier(name: str) -> str:
    """A backquoted identifier."""
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def quote_literal(value: str) -> str:
    """A string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
