"""The HTTP door's answers, in the order a client can act on them, on an in-process app.

The sender records instead of producing (the integration tests use the real broker).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from ingest.http_app import build_app
from ingest.keys import KeyStore
from ioc.settings import IngestSettings
from tests.unit.test_ingest_gateway import RecordingSender, make_gateway, vehicle_count

URL = "/v1/feeds/camera/vehicle-counts"


@pytest.fixture
def door(tmp_path: Path) -> tuple[TestClient, dict[str, str], RecordingSender]:
    keys = KeyStore([])
    secrets = {
        "prod": keys.add("prod", ["camera.*", "department.*"], ["VMS-1", "SO-TNMT"]),
        "sandbox": keys.add("sandbox", ["camera.*"], ["VMS-1"], sandbox=True),
        "slow": keys.add("slow", ["camera.*"], ["VMS-1"], rate_per_s=0.01),
    }
    sender = RecordingSender()
    settings = IngestSettings(
        max_body_bytes=20_000, max_records_per_request=10, rate_burst=2, rate_per_key_per_s=1e6
    )
    client = TestClient(build_app(make_gateway(tmp_path, sender), keys, settings))
    return client, secrets, sender


def post(client: TestClient, key: str, body: object, url: str = URL) -> object:
    return client.post(url, json=body, headers={"X-API-Key": key})


def test_all_valid_is_200_and_a_resend_is_200_with_duplicates(door: tuple) -> None:
    client, secrets, sender = door
    body = {"source_id": "VMS-1", "records": [vehicle_count("h1")]}
    first = post(client, secrets["prod"], body)
    assert first.status_code == 200 and first.json()["accepted"] == 1
    again = post(client, secrets["prod"], body)
    assert again.status_code == 200 and (again.json()["accepted"], again.json()["duplicates"]) == (0, 1)
    assert len(sender.messages) == 1


def test_partial_rejection_is_207_and_total_rejection_422(door: tuple) -> None:
    client, secrets, _ = door
    partial = post(
        client, secrets["prod"], {"source_id": "VMS-1", "records": [vehicle_count("p1"), {"x": 1}]}
    )
    assert partial.status_code == 207
    assert partial.json()["rejected"][0]["index"] == 1
    none = post(client, secrets["prod"], {"source_id": "VMS-1", "records": [{"event_id": "z"}]})
    assert none.status_code == 422 and none.json()["rejected"][0]["rule"] == "required"


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [({}, 401, "missing-key"), ({"X-API-Key": "ioc_wrong"}, 401, "invalid-key")],
)
def test_missing_or_unknown_keys_get_401(door: tuple, headers: dict, status: int, code: str) -> None:
    client, _, _ = door
    response = client.post(URL, json={"source_id": "VMS-1", "records": []}, headers=headers)
    assert (response.status_code, response.json()["error"]) == (status, code)


def test_out_of_scope_feed_or_source_gets_403(door: tuple) -> None:
    client, secrets, _ = door
    feed = post(client, secrets["prod"], {"source_id": "VMS-1", "records": [{}]}, "/v1/feeds/sensor/rainfall")
    assert (feed.status_code, feed.json()["error"]) == (403, "feed-not-allowed")
    source = post(client, secrets["prod"], {"source_id": "OTHER", "records": [vehicle_count("s")]})
    assert (source.status_code, source.json()["error"], source.json()["field"]) == (
        403,
        "source-not-allowed",
        "source_id",
    )


def test_wrong_content_type_415_bad_utf8_and_json_400(door: tuple) -> None:
    client, secrets, _ = door
    headers = {"X-API-Key": secrets["prod"]}
    text = client.post(URL, content=b"{}", headers=headers | {"Content-Type": "text/plain"})
    assert (text.status_code, text.json()["error"]) == (415, "unsupported-media-type")
    latin = client.post(
        URL, content=b"{}", headers=headers | {"Content-Type": "application/json; charset=latin-1"}
    )
    assert latin.status_code == 415
    utf8 = client.post(
        URL, content=b'{"source_id": "\xff"}', headers=headers | {"Content-Type": "application/json"}
    )
    assert (utf8.status_code, utf8.json()["error"]) == (400, "invalid-utf8")
    deep = client.post(
        URL, content=b"[" * 5000 + b"]" * 5000, headers=headers | {"Content-Type": "application/json"}
    )
    assert deep.status_code in (400, 422)


def test_too_large_bodies_and_too_many_records_get_413(door: tuple) -> None:
    client, secrets, _ = door
    big = post(client, secrets["prod"], {"source_id": "VMS-1", "records": [{"pad": "x" * 30_000}]})
    assert (big.status_code, big.json()["error"]) == (413, "body-too-large")
    many = post(
        client,
        secrets["prod"],
        {"source_id": "VMS-1", "records": [vehicle_count(f"m{i}") for i in range(11)]},
    )
    assert (many.status_code, many.json()["error"]) == (413, "too-many-records")


def test_a_key_over_its_rate_gets_429_with_retry_after(door: tuple) -> None:
    client, secrets, _ = door
    body = {"source_id": "VMS-1", "records": [vehicle_count("r")]}
    statuses = [post(client, secrets["slow"], body).status_code for _ in range(3)]
    assert statuses[:2] == [200, 200]
    limited = post(client, secrets["slow"], body)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1


def test_an_instance_of_two_allows_half_the_burst(tmp_path: Path) -> None:
    keys = KeyStore([])
    secret = keys.add("slow", ["camera.*"], ["VMS-1"], rate_per_s=0.01)
    settings = IngestSettings(rate_burst=4)
    client = TestClient(build_app(make_gateway(tmp_path, RecordingSender()), keys, settings, lambda: 2))
    body = {"source_id": "VMS-1", "records": [vehicle_count("half")]}
    assert [post(client, secret, body).status_code for _ in range(3)] == [200, 200, 429]


def test_a_revoked_key_is_told_so_and_nothing_is_sent(tmp_path: Path) -> None:
    keys = KeyStore([])
    secret = keys.add("gone", ["camera.*"], ["VMS-1"])
    keys.revoke("gone")
    sender = RecordingSender()
    client = TestClient(build_app(make_gateway(tmp_path, sender), keys, IngestSettings()))
    refused = post(client, secret, {"source_id": "VMS-1", "records": [vehicle_count("g")]})
    assert (refused.status_code, refused.json()["error"]) == (401, "revoked-key")
    assert "gone" in refused.json()["message"] and sender.messages == []


def test_kafka_not_acknowledging_is_503_with_retry_after(door: tuple) -> None:
    client, secrets, sender = door
    sender.failing = "Local: Message timed out"
    response = post(client, secrets["prod"], {"source_id": "VMS-1", "records": [vehicle_count("k")]})
    assert (response.status_code, response.headers["Retry-After"], response.json()["error"]) == (
        503,
        "7",
        "kafka-unavailable",
    )


def test_sandbox_key_gets_the_same_answer_and_nothing_is_sent(door: tuple) -> None:
    client, secrets, sender = door
    body = {"source_id": "VMS-1", "records": [vehicle_count("sb"), {"event_id": "bad"}]}
    response = post(client, secrets["sandbox"], body)
    assert response.status_code == 207 and response.json()["sandbox"] is True
    assert sender.messages == []


def report_xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    header = [
        "event_id",
        "reporting_unit_code",
        "observed_at",
        "report_code",
        "indicator_code",
        "period_start",
        "period_end",
        "value",
    ]
    for row in [header, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_upload_refuses_the_whole_file_unless_valid_only(door: tuple) -> None:
    from datetime import UTC, date, datetime

    client, secrets, sender = door
    now = datetime.now(UTC).isoformat()
    good = ["u1", "SO-TNMT", now, "BC-01", "CT-1", date(2026, 10, 1), date(2026, 10, 31), 12.5]
    bad = ["u2", "SO-TNMT", now, "BC-01", "CT-1", date(2026, 10, 1), date(2026, 10, 31), "mười"]
    files = {"file": ("bao-cao.xlsx", report_xlsx([good, bad]))}
    url = "/v1/uploads/department/report-values"
    headers = {"X-API-Key": secrets["prod"]}
    refused = client.post(url, files=files, data={"source_id": "SO-TNMT"}, headers=headers)
    assert refused.status_code == 422 and refused.json()["stored"] is False
    assert [(r["index"], r["field"]) for r in refused.json()["rejected"]] == [(1, "records[1].value")]
    assert sender.messages == []
    partial = client.post(
        url, files=files, data={"source_id": "SO-TNMT", "valid_only": "true"}, headers=headers
    )
    assert partial.status_code == 207 and partial.json()["accepted"] == 1
    assert len(sender.messages) == 2  # the envelope and the dead letter


def test_the_openapi_description_has_a_route_per_input_feed(door: tuple) -> None:
    from topics.catalog import INPUT_TOPICS

    client, _, _ = door
    paths = client.get("/openapi.json").json()["paths"]
    for spec in INPUT_TOPICS:
        route = "/v1/feeds/" + spec.name.removeprefix("ioc.").replace(".", "/", 1)
        assert set(paths[route]["post"]["responses"]) >= {"200", "207", "401", "403", "413", "429", "503"}
