"""The console's audit log: every action and every refusal, with the person, in one JSON line each.

What an action does to an alert is audited by the router too (the `notifications` table); this log
adds what only the console sees: sign-ins and refused sign-ins, expired and forged sessions, a role
refused an action, the router's answer to each action, and who was shown an incident's evidence
link (personal data). A local append-only file (`<console dir>/audit.jsonl`, mode 0600) rather than
the warehouse, so a refusal is recorded even while the warehouse restarts; each line is written with
one `write` on a file opened for appending, so concurrent requests cannot interleave lines.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)


class ConsoleAudit:
    """Appends audit entries to `path`."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()

    def record(
        self,
        action: str,
        outcome: str,
        *,
        person: str = "",
        role: str = "",
        client: str = "",
        alert_id: str = "",
        detail: str = "",
    ) -> None:
        """One entry, stamped now (UTC); `outcome` is `ok`, `refused`, `pending` or `failed`."""
        entry = {
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "person": person,
            "role": role,
            "client": client,
            "action": action,
            "alert_id": alert_id,
            "outcome": outcome,
            "detail": detail,
        }
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode()
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        log.info("console %s %s by %s %s %s", action, outcome, person or "-", alert_id, detail)

    def entries(self) -> list[dict[str, str]]:
        """Every entry so far (for `ioc console audit` and the tests)."""
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line]
