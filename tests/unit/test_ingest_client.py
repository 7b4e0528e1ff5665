"""The small HTTP client: times as ISO 8601, retries where the gateway says so, refusals raised."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from ingest.client import IngestClientError, send_records, to_json


def test_times_are_sent_as_iso_8601_with_their_zone_and_naive_ones_refused() -> None:
    assert to_json({"at": [datetime(2026, 11, 25, 7, 30, tzinfo=UTC)]}) == {
        "at": ["2026-11-25T07:30:00+00:00"]
    }
    with pytest.raises(ValueError, match="naive"):
        to_json(datetime(2026, 11, 25, 7, 30))


def test_a_503_is_retried_after_retry_after_and_the_feed_names_the_route() -> None:
    seen: list[str] = []
    answers = [
        httpx.Response(
            503, headers={"Retry-After": "0"}, json={"error": "kafka-unavailable", "message": "x"}
        ),
        httpx.Response(200, json={"accepted": 1, "rejected": []}),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return answers.pop(0)

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        reply = send_records(
            "http://gw", "k", "sensor.air-quality", [{"event_id": "a"}], source_id="S", http=http
        )
    assert reply["accepted"] == 1
    assert seen == ["/v1/feeds/sensor/air-quality"] * 2


def test_a_refusal_is_raised_with_the_gateway_reply() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"error": "source-not-allowed", "message": "no"})

    with (
        httpx.Client(transport=httpx.MockTransport(handler)) as http,
        pytest.raises(IngestClientError) as raised,
    ):
        send_records("http://gw", "k", "camera.speeds", [{"event_id": "a"}], source_id="S", http=http)
    assert (raised.value.status, raised.value.reply["error"]) == (403, "source-not-allowed")
