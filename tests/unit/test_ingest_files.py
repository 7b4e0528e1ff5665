"""Files and configuration: report cells to contract values, the dedup memory, the bridge's routes."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from ingest.batch_upload import read_upload, row_number
from ingest.bodies import Refusal
from ingest.dedup import DedupStore
from ingest.errors import ConfigError
from ingest.feeds import build_feeds
from ingest.mqtt_bridge import load_config, records_of

FEEDS = build_feeds()
REPORTS = FEEDS["department.report-values"]
CONFIG = Path(__file__).resolve().parents[2] / "config"


def test_csv_cells_become_the_types_their_fields_expect() -> None:
    data = (
        "\ufeffevent_id,reporting_unit_code,observed_at,period_start,value,revision,note\n"
        "r1,SO-TNMT,2026-11-25T07:30:00Z,2026-10-01,12.5,2,\n"
    ).encode()
    [record], _ = read_upload(REPORTS, "bao-cao.csv", data)
    assert record == {
        "event_id": "r1",
        "reporting_unit_code": "SO-TNMT",
        "observed_at": "2026-11-25T07:30:00Z",
        "period_start": "2026-10-01",
        "value": 12.5,
        "revision": 2,
    }


def test_excel_cells_dates_numbers_and_zone_less_times() -> None:
    book = Workbook()
    book.active.append(
        ["event_id", "reporting_unit_code", "observed_at", "period_start", "value", "area_code"]
    )
    book.active.append(["x1", "SO-TNMT", datetime(2026, 11, 25, 7, 30), datetime(2026, 10, 1), 3, 26734])
    out = io.BytesIO()
    book.save(out)
    [record], _ = read_upload(REPORTS, "bao-cao.xlsx", out.getvalue())
    assert record["period_start"] == "2026-10-01"
    assert record["value"] == 3 and record["area_code"] == "26734"
    assert record["observed_at"] == "2026-11-25T07:30:00"  # no zone: the contract will refuse it


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("r.csv", b"event_id,colour\nx,red\n", "unknown-column"),
        ("r.csv", b"event_id,value\n", "empty-file"),
        ("r.txt", b"event_id\nx\n", "unsupported-file"),
        ("r.xlsx", b"not a zip", "invalid-xlsx"),
        ("r.csv", b"event_id\n\xff\n", "invalid-utf8"),
    ],
)
def test_unusable_files_are_refused_by_name(name: str, data: bytes, code: str) -> None:
    with pytest.raises(Refusal) as raised:
        read_upload(REPORTS, name, data)
    assert raised.value.code == code


def test_row_numbers_count_the_header_as_row_one() -> None:
    assert row_number(0) == 2


def test_dedup_forgets_ids_older_than_its_retention(tmp_path: Path) -> None:
    clock = [1000.0]
    store = DedupStore(tmp_path / "d.sqlite3", retention_s=60, clock=lambda: clock[0])
    key = ("camera.speeds", "VMS", "e1")
    assert store.claim([key]) == {key}
    assert store.claim([key]) == set()  # in flight
    store.commit([key])
    assert store.claim([key]) == set()  # remembered
    clock[0] += 61
    assert store.claim([key]) == {key}


def test_released_ids_can_be_claimed_again(tmp_path: Path) -> None:
    store = DedupStore(tmp_path / "d.sqlite3", retention_s=60)
    key = ("camera.speeds", "VMS", "e1")
    store.claim([key])
    store.release([key])
    assert store.claim([key]) == {key}


def test_the_shipped_bridge_config_routes_sensor_topics_to_feeds() -> None:
    config = load_config(CONFIG / "mqtt_bridge.yaml", set(FEEDS))
    [route] = [r for r in config.routes if r.matches("ioc/sensors/HUB-7/water-level")]
    assert (route.feed, route.source_of("ioc/sensors/HUB-7/water-level")) == ("sensor.water-level", "HUB-7")
    # Bridges share each filter: the broker hands a message to one bridge of the group.
    assert config.subscription(route) == "$share/ioc-ingest/ioc/sensors/+/water-level"


def test_a_share_group_is_one_topic_level_or_empty_for_a_plain_subscription(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    route = "routes:\n  - {topic: a/#, feed: sensor.weather, source_id: X}\n"
    path.write_text("share_group: ''\n" + route)
    config = load_config(path, set(FEEDS))
    assert config.subscription(config.routes[0]) == "a/#"
    path.write_text("share_group: a/b\n" + route)
    with pytest.raises(ConfigError, match="share_group"):
        load_config(path, set(FEEDS))


def test_a_bridge_route_to_an_unknown_feed_is_named(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("routes:\n  - {topic: a/#, feed: sensor.nothing, source_id: X}\n")
    with pytest.raises(ConfigError, match=r"routes\[0\]: field 'feed'"):
        load_config(path, set(FEEDS))


def test_a_message_is_one_record_or_a_list() -> None:
    assert records_of(b'{"a": 1}') == [{"a": 1}]
    assert records_of(b'[{"a": 1}, {"b": 2}]') == [{"a": 1}, {"b": 2}]
    with pytest.raises(ValueError):
        records_of(b"\xff")


def test_labelled_columns_read_only_columns_and_what_a_file_may_leave_empty() -> None:
    from ingest.batch_upload import read_upload, with_file_defaults

    data = "Mã bản ghi [event_id],Tên chỉ tiêu [-],Giá trị [value],observed_at\nr1,Số vụ,4,\n,Số vụ,5,\n".encode()
    records, places = read_upload(REPORTS, "bao-cao.csv", data)
    assert records == [{"event_id": "r1", "value": 4}, {"value": 5}] and places == ["dòng 2", "dòng 3"]
    uploaded = datetime(2026, 11, 25, 7, 30).astimezone()
    first, second = with_file_defaults(records, uploaded)
    assert first == {"event_id": "r1", "value": 4, "observed_at": uploaded.isoformat()}
    assert (
        second["event_id"].startswith("row-")
        and second["event_id"] == with_file_defaults([{"value": 5.0}])[0]["event_id"]
    )
