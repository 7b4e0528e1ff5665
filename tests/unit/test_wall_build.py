"""The wall as generated files: committed JSON is current, uids are unique and stable, every
datasource reference resolves to the provisioned datasource, and every screen follows the wall's
conventions (dark, Vietnam time, 5-10 s refresh, stale and missing states, kiosk links)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from ioc.province import load_province
from ioc.settings import Settings
from wall.build import dashboards, generated_files, panel_ids, playlists
from wall.layout import PLAYLISTS, SCREENS, kiosk_url
from wall.macros import TimeRange, expand
from wall.panels import MISSING_TEXT, STALE_TEXT

ROOT = Path(__file__).resolve().parents[2]
PROVINCE = load_province(Settings().province_file)
BUILT = dashboards(PROVINCE)
# The uids screens, playlists and kiosk links depend on: renaming one breaks the wall's browsers.
STABLE_UIDS = {
    "ioc-wall-overview",
    "ioc-wall-traffic",
    "ioc-wall-public-order",
    "ioc-wall-environment",
    "ioc-wall-public-services",
    "ioc-wall-input-health",
    "ioc-wall-alerts",
}
VALUE_PANELS = ("stat", "bargauge", "geomap")


def provisioned_datasource() -> dict[str, Any]:
    text = (ROOT / "grafana/provisioning/datasources/clickhouse.yaml").read_text(encoding="utf-8")
    [source] = yaml.safe_load(text)["datasources"]
    return source


def all_panels() -> list[tuple[str, dict[str, Any]]]:
    return [(uid, panel) for uid, model in BUILT.items() for panel in model["panels"]]


def test_committed_files_are_what_the_code_generates() -> None:
    for relative, text in generated_files(PROVINCE).items():
        path = ROOT / relative
        assert path.exists(), f"{relative} missing: run `ioc grafana build`"
        assert path.read_text(encoding="utf-8") == text, f"{relative} is stale: run `ioc grafana build`"
    committed = {str(p.relative_to(ROOT)) for p in (ROOT / "grafana/dashboards").glob("*.json")}
    assert committed == {f"grafana/dashboards/{uid}.json" for uid in BUILT}


def test_uids_are_unique_and_stable() -> None:
    uids = [model["uid"] for model in BUILT.values()]
    assert set(uids) == STABLE_UIDS
    assert len(uids) == len(set(uids))
    assert dashboards(PROVINCE).keys() == BUILT.keys()
    playlist_uids = [p.uid for p in PLAYLISTS]
    assert len(set(playlist_uids)) == len(playlist_uids)
    assert not set(playlist_uids) & STABLE_UIDS


def test_panel_ids_are_unique_within_each_dashboard() -> None:
    for model in BUILT.values():
        ids = [panel["id"] for panel in model["panels"]]
        assert ids == list(range(1, len(ids) + 1))


def test_every_datasource_reference_resolves_to_the_provisioned_datasource() -> None:
    source = provisioned_datasource()
    expected = {"type": source["type"], "uid": source["uid"]}
    assert source["type"] == "grafana-clickhouse-datasource"
    assert source["jsonData"]["protocol"] == "http"
    assert source["jsonData"]["username"] == "grafana"
    references = 0
    for uid, panel in all_panels():
        for ref in [panel.get("datasource"), *(t.get("datasource") for t in panel.get("targets", []))]:
            if ref is not None:
                assert ref == expected, f"{uid} / {panel.get('title')}: {ref}"
                references += 1
    assert references > 2 * len(all_panels()) - 1


def test_every_panel_query_is_raw_sql_with_only_known_macros() -> None:
    time_range = TimeRange.last(timedelta(hours=6))
    for uid, panel in all_panels():
        targets = panel.get("targets", [])
        assert len(targets) == 1, f"{uid} / {panel['title']}"
        sql = expand(targets[0]["rawSql"], time_range)
        assert "$__" not in sql
        expected_format = 0 if panel["type"] == "timeseries" else 1
        assert targets[0]["format"] == expected_format
        assert targets[0]["editorType"] == "sql"


@pytest.mark.parametrize("uid", sorted(STABLE_UIDS))
def test_dashboards_follow_the_wall_conventions(uid: str) -> None:
    model = BUILT[uid]
    assert model["style"] == "dark"
    assert model["timezone"] == "Asia/Ho_Chi_Minh"
    assert re.fullmatch(r"([5-9]|10)s", model["refresh"])
    assert model["timepicker"]["hidden"] is True
    assert model["editable"] is False
    titles = [panel["title"] for panel in model["panels"]]
    assert "Nhịp màn hình (giờ cập nhật)" in titles, "every screen carries its heartbeat"
    assert "Độ trễ dữ liệu" in titles


def test_every_value_panel_shows_stale_and_missing_states_instead_of_a_number() -> None:
    for uid, panel in all_panels():
        defaults = panel["fieldConfig"]["defaults"]
        assert defaults.get("noValue"), f"{uid} / {panel['title']} has no empty state"
        if panel["type"] in VALUE_PANELS and "heartbeat" not in panel["targets"][0]["rawSql"]:
            nulls = [
                m for m in defaults["mappings"] if m["type"] == "special" and m["options"]["match"] == "null"
            ]
            assert [m["options"]["result"]["text"] for m in nulls] == [STALE_TEXT], (
                f"{uid} / {panel['title']}"
            )
            assert defaults["noValue"] == MISSING_TEXT
        if panel["type"] == "table":
            ages = [o for o in panel["fieldConfig"]["overrides"] if o["matcher"]["options"] == "data_age_s"]
            assert ages, f"{uid} / {panel['title']} must colour its data age"


def test_the_27_screens_each_have_a_target_and_a_kiosk_link_hiding_controls() -> None:
    assert [s.number for s in SCREENS] == list(range(1, 28))
    ids = panel_ids(BUILT)
    playlist_uids = {p.uid for p in PLAYLISTS}
    for screen in SCREENS:
        url = kiosk_url("https://wall.example", screen, ids)
        for flag in ("kiosk", "_dash.hideTimePicker", "_dash.hideVariables"):
            assert re.search(rf"[?&]{re.escape(flag)}(&|$)", url), url
        if screen.playlist:
            assert screen.target in playlist_uids and "/playlists/play/" in url
        else:
            assert screen.target in BUILT
            if screen.panel_title:
                assert f"viewPanel=panel-{ids[screen.target][screen.panel_title]}" in url
    assert {s.target for s in SCREENS} >= STABLE_UIDS, "every dashboard is on the wall somewhere"


def test_playlists_rotate_existing_dashboards() -> None:
    for uid, model in playlists().items():
        assert model["uid"] == uid
        assert model["items"]
        assert {item["type"] for item in model["items"]} == {"dashboard_by_uid"}
        assert {item["value"] for item in model["items"]} <= STABLE_UIDS
