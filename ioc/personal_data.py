"""Personal data kept from the warehouse's readers: how a plate, a photo and an officer's address are
masked, in one place (Decree 13/2023/NĐ-CP).

The plate rule is the one the masked views `camera_plate_reads` and `camera_violations` have applied
since migration 005: keep the two-digit province code and the series letters, turn every other
character but the separators `-`, `.` and space into `*` (`30A-123.45` → `30A-***.**`); a value that
does not start like a Vietnamese plate is masked whole. `mask_plate` is that rule in Python and
`plate_mask_sql` writes it as the ClickHouse expression the views use, both from the constants below,
so the sinks (which mask copies of records in dead letters and late events) and the views cannot
drift apart; the tests compare the two on the real warehouse.

Photos (`image_ref`, `evidence_ref`) show the plate too, an incident's photo or video faces and
plates: in a masked copy they are withheld. A payload that cannot be read as a record of its feed
(not JSON, not an object) may hold anything, so from a feed with personal data it is withheld
whole; the clear copy stays in a `restricted_` table.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from topics.catalog import (
    CAMERA_INCIDENTS,
    CAMERA_PLATE_READS,
    CAMERA_VIOLATIONS,
    DEAD_LETTER_TOPICS,
    LATE_EVENTS,
    NOTIFICATIONS,
)

PLATE_SERIES = "^[0-9]{2}-?[A-ZĐ]{1,2}"  # province code and series letters, kept
PLATE_SEPARATORS = "-. "  # kept, so the shape of the plate stays readable
MASK = "*"
WITHHELD = "***"  # what a masked copy shows for a photo, an unknown field or an unreadable value
QUOTED_MIN = 4  # shorter masked values are not replaced in a reason: "1" would hit every digit

_SERIES = re.compile(PLATE_SERIES)
_HIDDEN = re.compile(f"[^{re.escape(PLATE_SEPARATORS)}]")


def mask_plate(plate: str) -> str:
    """The plate with everything but its province code, series letters and separators as `*`."""
    series = _SERIES.match(plate)
    kept = series.group(0) if series else ""
    return kept + _HIDDEN.sub(MASK, plate[len(kept) :])


def plate_mask_sql(column: str) -> str:
    """`mask_plate` as a ClickHouse expression over `column` (the masked views' expression)."""
    series = f"extract({column}, '{PLATE_SERIES}')"
    return (
        f"concat({series}, replaceRegexpAll(substring({column}, length({series}) + 1), "
        f"'[^{PLATE_SEPARATORS}]', '{MASK}'))"
    )


def mask_address(address: str) -> str:
    """An officer's address as readers see it: an e-mail keeps its first letter and its domain (the
    organisation), a URL its host, a phone number or chat id its last two characters; always with a
    `*`, so a masked address is told from a clear one."""
    if not address:
        return ""
    if "://" in address:
        parts = urlsplit(address)
        return f"{parts.scheme}://{parts.hostname or ''}/{WITHHELD}"
    local, at, domain = address.rpartition("@")
    if at and local:
        return f"{local[0]}{WITHHELD}@{domain}"
    if len(address) <= 2:
        return MASK * len(address)
    return MASK * (len(address) - 2) + address[-2:]


@dataclass(frozen=True)
class PersonalFeed:
    """A feed whose records hold personal data: which fields are plates, which are withheld (photos),
    which are shown as they are; any other field of a copy is withheld. `kind` names the restricted
    table whose retention a clear copy keeps."""

    topic: str  # unprefixed topic name
    kind: str
    plates: frozenset[str]
    withheld: frozenset[str]
    shown: frozenset[str]


PLATE_READS = PersonalFeed(
    CAMERA_PLATE_READS.name,
    "plate_read",
    frozenset({"plate_number"}),
    frozenset({"image_ref"}),
    frozenset({"event_id", "camera_id", "observed_at", "lane", "vehicle_class", "direction", "confidence"}),
)
VIOLATIONS = PersonalFeed(
    CAMERA_VIOLATIONS.name,
    "violation",
    frozenset({"plate_number"}),
    frozenset({"evidence_ref"}),
    frozenset(
        {
            "event_id",
            "camera_id",
            "observed_at",
            "lane",
            "violation_type",
            "vehicle_class",
            "speed_kmh",
            "speed_limit_kmh",
            "confidence",
        }
    ),
)
# An incident's photo or video may show faces and plates (migration 100 restricts it in the tables).
INCIDENTS = PersonalFeed(
    CAMERA_INCIDENTS.name,
    "incident",
    frozenset(),
    frozenset({"evidence_ref"}),
    frozenset(
        {
            "event_id",
            "camera_id",
            "observed_at",
            "incident_type",
            "confidence",
            "severity_hint",
            "description",
            "latitude",
            "longitude",
        }
    ),
)
PERSONAL_FEEDS = (PLATE_READS, VIOLATIONS, INCIDENTS)
# Topics whose payloads are copies of other records (a late event, a dead letter, an audit event the
# warehouse refused): what they copy is unknown here, so their payloads are withheld whole, and their
# clear copies kept as briefly as plate reads.
COPYING_TOPICS = tuple(spec.name for spec in (LATE_EVENTS, NOTIFICATIONS, *DEAD_LETTER_TOPICS))
COPY = "copy"


@dataclass(frozen=True)
class Masked:
    """A payload and its reason as readers see them; `kind` is empty when they hold no personal data."""

    payload: str
    reason: str
    kind: str


def personal_feed(source_topic: str) -> PersonalFeed | None:
    """The feed a (prefixed) topic name belongs to, when it holds personal data."""
    return next((feed for feed in PERSONAL_FEEDS if source_topic.endswith(feed.topic)), None)


def mask_copy(source_topic: str, payload: bytes, reason: str) -> Masked:
    """A copy of a record from `source_topic` (a dead letter's or a late event's payload, with the
    reason that names it) as readers may see it. Values masked in the payload are masked in the
    reason too: a refusal may quote the value it refused."""
    text = payload.decode("utf-8", "replace")
    feed = personal_feed(source_topic)
    if feed is None:
        if any(copying in source_topic for copying in COPYING_TOPICS):
            return Masked(_withheld(payload), reason, COPY)
        return Masked(text, reason, "")
    try:
        record = json.loads(text)
    except ValueError:
        record = None
    if not isinstance(record, dict):
        return Masked(_withheld(payload), reason, feed.kind)
    replaced: dict[str, str] = {}
    shown = {key: _mask_field(feed, key, value, replaced) for key, value in record.items()}
    for clear in sorted(replaced, key=len, reverse=True):
        reason = reason.replace(clear, replaced[clear])
    return Masked(json.dumps(shown, ensure_ascii=False, sort_keys=True), reason, feed.kind)


def _mask_field(feed: PersonalFeed, key: str, value: Any, replaced: dict[str, str]) -> Any:
    if key in feed.shown or value is None:
        return value
    masked = mask_plate(str(value)) if key in feed.plates and not isinstance(value, dict | list) else WITHHELD
    if not isinstance(value, dict | list) and len(str(value)) >= QUOTED_MIN:
        replaced[str(value)] = masked
    return masked


def _withheld(payload: bytes) -> str:
    return f"{WITHHELD} {len(payload)} bytes withheld: personal data, clear copy in the restricted table {WITHHELD}"
