"""The unfinished insert a sink names in its committed offset's metadata: read back as written, and
anything else found there (nothing, another tool's metadata, garbage) names no insert."""

from __future__ import annotations

import pytest

from sinks.in_flight import InFlight, piece_of

TOPIC = "ioc.camera.vehicle-counts"


def test_an_insert_is_read_back_from_its_metadata_with_the_same_token() -> None:
    insert = InFlight(TOPIC, 4, 1200, 1260, 18_000)
    decoded = InFlight.decode(TOPIC, 4, insert.encode())
    assert decoded == insert
    assert decoded is not None and decoded.token == f"{TOPIC}:4:1200-1260:18000"
    assert len(insert.encode().encode()) < 4096  # Kafka's default offset.metadata.max.bytes


@pytest.mark.parametrize(
    "metadata", [None, "", "checkpoint-7", "[1, 2]", '{"kind": "other", "first": 1}', "{"]
)
def test_metadata_that_is_not_an_unfinished_insert_names_none(metadata: str | None) -> None:
    assert InFlight.decode(TOPIC, 0, metadata) is None


def test_an_insert_record_missing_a_field_names_none() -> None:
    assert InFlight.decode(TOPIC, 0, '{"kind": "ioc.sink.inserting", "first": 1, "last": 2}') is None


def test_a_piece_of_a_message_is_read_back_with_a_token_of_its_own() -> None:
    """Two halves of one message share offsets and may share a row count: only the piece, a digest of
    their rows' positions, tells their tokens apart."""
    first, second = piece_of(range(0, 4)), piece_of(range(4, 8))
    assert first != second and piece_of([0, 1, 2, 3]) == first
    halves = [InFlight(TOPIC, 4, 1200, 1200, 4, piece) for piece in (first, second)]
    assert [InFlight.decode(TOPIC, 4, half.encode()) for half in halves] == halves
    assert len({half.token for half in halves} | {InFlight(TOPIC, 4, 1200, 1200, 4).token}) == 3
