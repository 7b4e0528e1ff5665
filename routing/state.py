"""The router's durable state in SQLite, under the stack folder: the latest change of every alert,
its acknowledgement, the escalation of each unit engaged, the outbox of notifications, and the audit
events still to publish.

Why SQLite and an outbox: a change read from Kafka is turned into its outbox rows and audit events
in one transaction, and only then is the Kafka offset committed. A crash before the commit re-reads
the change, and the stored revision says it was already handled; a crash after it finds the rows
waiting. Sending marks each row sent in its own transaction right after the channel took it, so a
restart resends nothing that was marked and forgets nothing that was not (the one window left is a
crash during a send itself; the message id, the same on a resend, lets receivers drop that repeat).
`ioc alerts ack` writes to the same file from its own process (WAL mode, busy timeout).
A resolved alert's rows are deleted once it is older than the retention (`forget_finished`), so
neither this file nor the state topic grows for good.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    state TEXT NOT NULL,
    record TEXT NOT NULL,
    silenced_by TEXT NOT NULL DEFAULT '',
    acked_at INTEGER,
    acked_by TEXT NOT NULL DEFAULT '',
    ack_via TEXT NOT NULL DEFAULT '',
    kafka_partition INTEGER NOT NULL DEFAULT -1
);
CREATE TABLE IF NOT EXISTS engagements (
    alert_id TEXT NOT NULL,
    unit TEXT NOT NULL,
    levels TEXT NOT NULL,
    level INTEGER NOT NULL,
    deadline INTEGER,
    closed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (alert_id, unit)
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    kind TEXT NOT NULL,
    unit TEXT NOT NULL,
    level INTEGER NOT NULL,
    officer_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    group_key TEXT NOT NULL,
    not_before INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending',
    message_id TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    record TEXT NOT NULL,
    published INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS requests (
    request_id TEXT PRIMARY KEY,
    alert_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    done INTEGER NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, pk TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS follow (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
# The tables copied to the state topic (routing/replica.py), with their primary keys. `changes` lists
# every row written since the last copy (filled by triggers, so no write can be forgotten); `follow`
# is this copy's own position on the topic and is never copied.
REPLICATED: dict[str, tuple[str, ...]] = {
    "alerts": ("alert_id",),
    "engagements": ("alert_id", "unit"),
    "outbox": ("id",),
    "audit": ("seq",),
    "requests": ("request_id",),
    "meta": ("name",),
}


def _triggers() -> str:
    statements = []
    for table, key in REPLICATED.items():
        for op, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            values = ", ".join(f"{row}.{column}" for column in key)
            insert = f"INSERT INTO changes (tbl, pk) VALUES ('{table}', json_array({values}))"  # noqa: S608
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_{op.lower()} AFTER {op} ON {table} BEGIN {insert}; END;"
            )
    return "\n".join(statements)


ENGAGE = (
    "INSERT INTO engagements (alert_id, unit, levels, level, deadline) VALUES (?, ?, ?, 0, ?) "
    "ON CONFLICT (alert_id, unit) DO NOTHING"
)
ENGAGE_AGAIN = (
    "INSERT INTO engagements (alert_id, unit, levels, level, deadline) VALUES (?, ?, ?, 0, ?) "
    "ON CONFLICT (alert_id, unit) DO UPDATE SET levels = excluded.levels, level = 0, "
    "deadline = excluded.deadline, closed = 0"
)
TIME_FIELDS = ("sent", "opened_at", "updated_at", "acknowledged_at", "resolved_at", "occurred_at")


def to_ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _dump(record: dict[str, Any]) -> str:
    return json.dumps(
        {k: to_ms(v) if isinstance(v, datetime) else v for k, v in record.items()}, ensure_ascii=False
    )


def _load(text: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(text)
    for key in TIME_FIELDS:
        if isinstance(record.get(key), int):
            record[key] = from_ms(record[key])
    return record


@dataclass(frozen=True)
class AlertState:
    record: dict[str, Any]
    silenced_by: str
    acked_at: datetime | None
    acked_by: str
    ack_via: str


@dataclass(frozen=True)
class Engagement:
    """One unit's escalation for one alert: which level has been called and when the next is due."""

    alert_id: str
    unit: str
    levels: tuple[tuple[str, ...], ...]
    level: int
    deadline: datetime | None


@dataclass(frozen=True)
class OutboxRow:
    id: int
    alert_id: str
    revision: int
    kind: str
    unit: str
    level: int
    officer_id: str
    channel: str
    address: str
    group_key: str
    attempts: int


class Store:
    """All reads and writes of the state file; one lock, because the acknowledgement endpoint runs in
    another thread of the router."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        if "kafka_partition" not in {c[1] for c in self._db.execute("PRAGMA table_info(alerts)")}:
            # A state file from before operators' actions (routing/actions.py need the partition).
            self._db.execute("ALTER TABLE alerts ADD COLUMN kafka_partition INTEGER NOT NULL DEFAULT -1")
        self._db.executescript(_triggers())
        self._lock = threading.RLock()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Everything inside is stored together or not at all."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # alerts
    def alert(self, alert_id: str) -> AlertState | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM alerts WHERE alert_id = ?", (alert_id,)).fetchone()
        if row is None:
            return None
        acked = from_ms(row["acked_at"]) if row["acked_at"] is not None else None
        return AlertState(_load(row["record"]), row["silenced_by"], acked, row["acked_by"], row["ack_via"])

    def save_alert(self, record: dict[str, Any], silenced_by: str) -> None:
        self._db.execute(
            "INSERT INTO alerts (alert_id, revision, state, record, silenced_by) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (alert_id) DO UPDATE SET revision = excluded.revision, state = excluded.state, "
            "record = excluded.record, silenced_by = excluded.silenced_by",
            (record["alert_id"], record["revision"], record["state"], _dump(record), silenced_by),
        )

    def record_ack(self, alert_id: str, by: str, via: str, at: datetime) -> bool:
        """Store the first acknowledgement; False when the alert is unknown or already acknowledged."""
        cursor = self._db.execute(
            "UPDATE alerts SET acked_at = ?, acked_by = ?, ack_via = ? WHERE alert_id = ? AND acked_at IS NULL",
            (to_ms(at), by, via, alert_id),
        )
        return cursor.rowcount == 1

    def set_partitions(self, partitions: dict[str, int]) -> None:
        """Where each alert was read on the alerts topic: its operators' actions go to that partition
        of the actions topic, which the alert task owning the alert reads (inside the caller's
        transaction)."""
        self._db.executemany(
            "UPDATE alerts SET kafka_partition = ? WHERE alert_id = ?",
            [(p, a) for a, p in partitions.items()],
        )

    def partition(self, alert_id: str) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT kafka_partition FROM alerts WHERE alert_id = ?", (alert_id,)
            ).fetchone()
        return int(row[0]) if row is not None else -1

    # operators' requests (routing/actions.py): each one's answer, so it is applied once and the router
    # that took it can read the answer from its copy of the state
    def record_request(
        self, request_id: str, alert_id: str, kind: str, officer_id: str, at: datetime, reason: str
    ) -> None:
        """Store a request's outcome: done when `reason` is empty (inside the caller's transaction)."""
        self._db.execute(
            "INSERT OR IGNORE INTO requests (request_id, alert_id, kind, officer_id, at, done, reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (request_id, alert_id, kind, officer_id, to_ms(at), int(not reason), reason),
        )

    def request_outcome(self, request_id: str) -> tuple[bool, str] | None:
        """(done, reason) of a request already applied; None while it is not."""
        with self._lock:
            row = self._db.execute(
                "SELECT done, reason FROM requests WHERE request_id = ?", (request_id,)
            ).fetchone()
        return (bool(row["done"]), row["reason"]) if row is not None else None

    def closed_by_operator(self, alert_id: str) -> tuple[str, str, datetime] | None:
        """(kind, officer, when) of the resolution or false alarm an operator made, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT kind, officer_id, at FROM requests WHERE alert_id = ? AND done = 1 "
                "AND kind IN ('resolve', 'false_alarm') ORDER BY at LIMIT 1",
                (alert_id,),
            ).fetchone()
        return (row["kind"], row["officer_id"], from_ms(row["at"])) if row is not None else None

    def open_alerts(self) -> list[AlertState]:
        with self._lock:
            ids = [r[0] for r in self._db.execute("SELECT alert_id FROM alerts WHERE state != 'resolved'")]
        found = [self.alert(alert_id) for alert_id in ids]
        return sorted((a for a in found if a is not None), key=lambda a: a.record["opened_at"])

    def forget_finished(self, changed_before: datetime, limit: int) -> list[str]:
        """Delete at most `limit` resolved alerts whose last change (when their latest revision was
        issued, its CAP `sent`, or the acknowledgement if later; not `updated_at`, which is event
        time and may be weeks old for a change made now) is before `changed_before`, with their
        escalations and outbox rows (inside the caller's transaction); returns their ids.

        Why this is safe: a resolved alert is never escalated or notified again, and what was done
        about it is in the warehouse (`notifications`); its audit events still to publish are kept
        (they carry their own copy of the alert). Two kinds of alert are kept anyway: one with a
        message still to send or being sent (sending reads the alert's record), and the one holding
        the newest outbox row, because outbox ids name messages (grouping.message_id) and a router
        copying the state topic into a new file continues the ids from the highest one it finds.
        The deletions reach the state topic as tombstones (the `changes` triggers), so every copy
        forgets the alert too.
        """
        ids = [
            row[0]
            for row in self._db.execute(
                "SELECT alert_id FROM alerts WHERE state = 'resolved' "
                "AND max(json_extract(record, '$.sent'), coalesce(acked_at, 0)) < ? "
                "AND alert_id NOT IN (SELECT alert_id FROM outbox WHERE status IN ('pending', 'sending')) "
                "AND alert_id NOT IN (SELECT alert_id FROM outbox WHERE id = (SELECT max(id) FROM outbox)) "
                "LIMIT ?",
                (to_ms(changed_before), limit),
            )
        ]
        for table in ("outbox", "engagements", "requests", "alerts"):
            self._db.executemany(f"DELETE FROM {table} WHERE alert_id = ?", [(i,) for i in ids])  # noqa: S608
        # Refused requests about alerts the router never held.
        self._db.execute(
            "DELETE FROM requests WHERE at < ? AND alert_id NOT IN (SELECT alert_id FROM alerts)",
            (to_ms(changed_before),),
        )
        return ids

    # engagements
    def engage(
        self,
        alert_id: str,
        unit: str,
        levels: tuple[tuple[str, ...], ...],
        deadline: datetime | None,
        *,
        again: bool = False,
    ) -> None:
        """Engage a unit at level 0; `again` (a hand-over) restarts an engagement closed before."""
        statement = ENGAGE_AGAIN if again else ENGAGE
        self._db.execute(
            statement, (alert_id, unit, json.dumps(levels), to_ms(deadline) if deadline else None)
        )

    def _engagements(self, where: str, params: tuple[Any, ...]) -> list[Engagement]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT * FROM engagements WHERE closed = 0 AND {where}",  # noqa: S608 - fixed clauses
                params,
            ).fetchall()
        return [
            Engagement(
                r["alert_id"],
                r["unit"],
                tuple(tuple(level) for level in json.loads(r["levels"])),
                r["level"],
                from_ms(r["deadline"]) if r["deadline"] is not None else None,
            )
            for r in rows
        ]

    def engagements(self, alert_id: str) -> list[Engagement]:
        return self._engagements("alert_id = ?", (alert_id,))

    def due_engagements(self, now: datetime) -> list[Engagement]:
        return self._engagements("deadline IS NOT NULL AND deadline <= ?", (to_ms(now),))

    def set_level(self, alert_id: str, unit: str, level: int, deadline: datetime | None) -> None:
        self._db.execute(
            "UPDATE engagements SET level = ?, deadline = ? WHERE alert_id = ? AND unit = ?",
            (level, to_ms(deadline) if deadline else None, alert_id, unit),
        )

    def bring_deadline_forward(self, alert_id: str, unit: str, level: int, now: datetime) -> None:
        """A level whose every message failed escalates now rather than at its deadline."""
        self._db.execute(
            "UPDATE engagements SET deadline = ? WHERE alert_id = ? AND unit = ? AND level = ? AND closed = 0",
            (to_ms(now), alert_id, unit, level),
        )

    def close_engagements(self, alert_id: str) -> None:
        self._db.execute("UPDATE engagements SET closed = 1, deadline = NULL WHERE alert_id = ?", (alert_id,))

    # outbox
    def enqueue(
        self,
        alert: dict[str, Any],
        kind: str,
        unit: str,
        level: int,
        officer_id: str,
        channel: str,
        address: str,
        group_key: str,
        send_at: datetime,
    ) -> None:
        """Queue one notification; it joins a pending group of the same recipient and key, so related
        alerts leave together when the group's wait is over."""
        pending = self._db.execute(
            "SELECT min(not_before) FROM outbox WHERE status = 'pending' AND officer_id = ? AND channel = ? "
            "AND address = ? AND group_key = ?",
            (officer_id, channel, address, group_key),
        ).fetchone()[0]
        not_before = pending if pending is not None else to_ms(send_at)
        self._db.execute(
            "INSERT INTO outbox (alert_id, revision, kind, unit, level, officer_id, channel, address, group_key, "
            "not_before, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                alert["alert_id"],
                alert["revision"],
                kind,
                unit,
                level,
                officer_id,
                channel,
                address,
                group_key,
                not_before,
                not_before,
            ),
        )

    def due_groups(self, now: datetime) -> list[list[OutboxRow]]:
        """Pending rows ready to go, one list per (officer, channel, address, group), oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id",
                (to_ms(now),),
            ).fetchall()
        groups: dict[tuple[str, str, str, str], list[OutboxRow]] = {}
        for r in rows:
            key = (r["officer_id"], r["channel"], r["address"], r["group_key"])
            groups.setdefault(key, []).append(_outbox_row(r))
        return list(groups.values())

    def mark_sending(self, ids: list[int]) -> None:
        """The rows are being handed to their channel: a router taking over finds them so."""
        marks = ",".join("?" * len(ids))
        self._db.execute(f"UPDATE outbox SET status = 'sending' WHERE id IN ({marks})", ids)  # noqa: S608

    def requeue_interrupted(self) -> list[OutboxRow]:
        """Rows a former active router was handing to a channel when it stopped (it may or may not have
        sent them): pending again, so they are sent, perhaps a second time, rather than maybe never."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM outbox WHERE status = 'sending' ORDER BY id").fetchall()
            self._db.execute("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")
        return [_outbox_row(r) for r in rows]

    def mark_sent(self, ids: list[int], message_id: str) -> None:
        marks = ",".join("?" * len(ids))
        self._db.execute(
            f"UPDATE outbox SET status = 'sent', attempts = attempts + 1, message_id = ? WHERE id IN ({marks})",  # noqa: S608
            (message_id, *ids),
        )

    def mark_failed_attempt(self, row_id: int, error: str, retry_at: datetime | None) -> None:
        """Count the attempt; retry at `retry_at`, or give the row up when None."""
        if retry_at is None:
            self._db.execute(
                "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
                (error, row_id),
            )
        else:
            self._db.execute(
                "UPDATE outbox SET status = 'pending', attempts = attempts + 1, last_error = ?, "
                "next_attempt_at = ? WHERE id = ?",
                (error, to_ms(retry_at), row_id),
            )

    def cancel_pending(self, alert_id: str, kinds: tuple[str, ...]) -> int:
        marks = ",".join("?" * len(kinds))
        cursor = self._db.execute(
            f"UPDATE outbox SET status = 'cancelled' WHERE alert_id = ? AND status = 'pending' AND kind IN ({marks})",  # noqa: S608
            (alert_id, *kinds),
        )
        return cursor.rowcount

    def reached(self, alert_id: str) -> list[tuple[str, str, str, str]]:
        """(unit, officer, channel, address) of every message about the alert that was delivered."""
        return [
            tuple(r)
            for r in self._db.execute(
                "SELECT DISTINCT unit, officer_id, channel, address FROM outbox WHERE alert_id = ? AND status = 'sent' "
                "AND kind != 'resolved' ORDER BY unit, officer_id, channel",
                (alert_id,),
            )
        ]

    def level_outcome(self, alert_id: str, unit: str, level: int) -> tuple[int, int]:
        """(delivered, still pending) messages of one escalation level."""
        row = self._db.execute(
            "SELECT sum(status = 'sent'), sum(status = 'pending') FROM outbox "
            "WHERE alert_id = ? AND unit = ? AND level = ? AND kind != 'resolved'",
            (alert_id, unit, level),
        ).fetchone()
        return int(row[0] or 0), int(row[1] or 0)

    def outbox(self, alert_id: str) -> list[sqlite3.Row]:
        """Every notification about one alert, for `ioc alerts list --detail` and tests."""
        with self._lock:
            return self._db.execute(
                "SELECT * FROM outbox WHERE alert_id = ? ORDER BY id", (alert_id,)
            ).fetchall()

    # audit
    def audit(self, event: dict[str, Any]) -> None:
        """Queue an audit event for the notifications topic; its id is fixed now, so publishing it twice
        after a crash stores it once in the warehouse (ReplacingMergeTree on event_id)."""
        record = {"event_id": uuid.uuid4().hex, **event}
        self._db.execute("INSERT INTO audit (record) VALUES (?)", (_dump(record),))

    def unpublished(self, limit: int = 500) -> list[tuple[int, dict[str, Any]]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, record FROM audit WHERE published = 0 ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [(row["seq"], _load(row["record"])) for row in rows]

    def mark_published(self, seqs: list[int]) -> None:
        """Published events are deleted: the state topic then forgets them too (a tombstone each)."""
        with self.transaction() as db:
            db.executemany("DELETE FROM audit WHERE seq = ?", [(s,) for s in seqs])

    # the alerts topic's position, kept with the state it produced
    def set_offsets(self, offsets: dict[int, int]) -> None:
        """The next offset to read of each alerts partition (inside the caller's transaction)."""
        self._db.executemany(
            "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)",
            [(f"alerts-offset|{p}", str(o)) for p, o in offsets.items()],
        )

    def offsets(self) -> dict[int, int]:
        with self._lock:
            rows = self._db.execute(
                "SELECT name, value FROM meta WHERE name LIKE 'alerts-offset|%'"
            ).fetchall()
        return {int(r["name"].split("|")[1]): int(r["value"]) for r in rows}

    # replication (routing/replica.py)
    def changed_rows(self) -> tuple[int, list[tuple[str, list[Any], dict[str, Any] | None]]]:
        """(last change seen, [(table, key, row or None when deleted)]) for every row written since
        the last `forget_changes`; a row written several times appears once, as it is now."""
        with self._lock:
            last = self._db.execute("SELECT max(seq) FROM changes").fetchone()[0]
            if last is None:
                return 0, []
            keys = self._db.execute(
                "SELECT tbl, pk FROM changes WHERE seq <= ? GROUP BY tbl, pk ORDER BY max(seq)", (last,)
            ).fetchall()
            found = []
            for table, pk in keys:
                key = json.loads(pk)
                where = " AND ".join(f"{c} = ?" for c in REPLICATED[table])
                row = self._db.execute(f"SELECT * FROM {table} WHERE {where}", key).fetchone()  # noqa: S608
                found.append((table, key, dict(row) if row is not None else None))
        return last, found

    def forget_changes(self, last: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM changes WHERE seq <= ?", (last,))

    def apply_rows(self, rows: list[tuple[str, list[Any], dict[str, Any] | None]], position: int) -> None:
        """A follower's copy: the rows as the active router wrote them, and where on the topic it is."""
        with self.transaction() as db:
            for table, key, row in rows:
                if table not in REPLICATED:
                    raise ValueError(f"state row for unknown table {table!r}")
                if row is None:
                    where = " AND ".join(f"{c} = ?" for c in REPLICATED[table])
                    db.execute(f"DELETE FROM {table} WHERE {where}", key)  # noqa: S608
                else:
                    known = {c[1] for c in db.execute(f"PRAGMA table_info({table})")}
                    if not row.keys() <= known:  # names from the topic go into the statement
                        raise ValueError(
                            f"state row for {table} has unknown columns: {sorted(row.keys() - known)}"
                        )
                    columns = ", ".join(row)
                    marks = ", ".join("?" * len(row))
                    upsert = f"INSERT OR REPLACE INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
                    db.execute(upsert, list(row.values()))
            db.execute("DELETE FROM changes")
            db.execute("INSERT OR REPLACE INTO follow (name, value) VALUES ('position', ?)", (position,))

    def position(self) -> int:
        """The next offset of the state topic this copy has not applied."""
        with self._lock:
            row = self._db.execute("SELECT value FROM follow WHERE name = 'position'").fetchone()
        return int(row[0]) if row is not None else 0

    def wipe(self) -> None:
        """Forget everything, to copy the state topic again from its start (a router that was active
        may hold writes the topic never took)."""
        with self.transaction() as db:
            for table in (*REPLICATED, "changes", "follow"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names


def _outbox_row(r: sqlite3.Row) -> OutboxRow:
    return OutboxRow(
        r["id"],
        r["alert_id"],
        r["revision"],
        r["kind"],
        r["unit"],
        r["level"],
        r["officer_id"],
        r["channel"],
        r["address"],
        r["group_key"],
        r["attempts"],
    )
