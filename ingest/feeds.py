"""The feeds a client may send to: every input topic of `topics/catalog.py`, by a short name.

A feed's name is its topic without the `ioc.` prefix (`camera.vehicle-counts`), which is also the
path of its HTTP route and what API keys list. Schemas are loaded and parsed once, here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from avro_schemas import load_schema
from avro_schemas.json_records import JsonRecordConverter
from topics.catalog import INPUT_TOPICS, TopicSpec, dead_letter_topic


@dataclass(frozen=True)
class Feed:
    """One input feed: its topic, the batch envelope schema and a converter for one record of it."""

    name: str
    spec: TopicSpec
    envelope_schema: dict[str, Any]
    record_schema: dict[str, Any]
    converter: JsonRecordConverter
    # Rules beyond the contract (a report value against its form): (raw record, datum) -> datum, or
    # RecordError with a path inside the record.
    check: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def route(self) -> str:
        """`camera/vehicle-counts`: the HTTP path segment of the feed."""
        return self.name.replace(".", "/", 1)

    @property
    def dead_letters(self) -> TopicSpec:
        dlq = dead_letter_topic(self.spec)
        assert dlq is not None  # noqa: S101 - every input family has a dead-letter topic
        return dlq


def feed_name(spec: TopicSpec) -> str:
    """The public name of an input topic's feed."""
    return spec.name.removeprefix("ioc.")


def _record_schema(envelope: dict[str, Any]) -> dict[str, Any]:
    records = next(field for field in envelope["fields"] if field["name"] == "records")
    item: dict[str, Any] = records["type"]["items"]
    # Named types declared in the envelope's namespace stay resolvable from the record on its own.
    return {"namespace": envelope.get("namespace", ""), **item}


def build_feeds() -> dict[str, Feed]:
    """Every input feed by name, with its schema parsed once."""
    feeds = {}
    for spec in INPUT_TOPICS:
        envelope = load_schema(spec.schema)
        record = _record_schema(envelope)
        feeds[feed_name(spec)] = Feed(feed_name(spec), spec, envelope, record, JsonRecordConverter(record))
    return feeds


def with_check(
    feeds: dict[str, Feed], name: str, check: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
) -> dict[str, Feed]:
    """The feeds, with feed `name` also judged by `check` at every door."""
    return feeds | {name: replace(feeds[name], check=check)}
