"""The console's pages through FastAPI's TestClient: sign-in, refusals (wrong password, expired,
forged or disabled session, a viewer's action), actions reaching the router, evidence by role, the
queue while the warehouse is down, and the search form. Every refusal is checked in the audit log."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from console.app import build_app
from console.sessions import COOKIE
from tests.unit.console_fixtures import Rig, make_rig, stand_in_router
from warehouse.accounts import disable_account


def client_for(rig: Rig) -> TestClient:
    return TestClient(build_app(rig.console), follow_redirects=False)


def signed_in(rig: Rig, name: str) -> TestClient:
    client = client_for(rig)
    response = client.post("/login", data={"name": name, "password": rig.passwords[name]})
    assert response.status_code == 303, response.text
    return client


def test_sign_in_opens_the_queue_and_is_audited(tmp_path) -> None:
    rig = make_rig(tmp_path)
    client = signed_in(rig, "ioc.le.thu")
    page = client.get("/")
    assert page.status_code == 200
    assert "Lê Thị Thu (ioc.le.thu)" in page.text and "Cán bộ trực" in page.text
    queue = client.get("/api/queue").json()
    assert queue["ok"] and queue["alerts"][0]["alert_id"] == "AL-1"
    assert queue["alerts"][0]["severity_vi"] == "Nghiêm trọng"
    assert queue["alerts"][0]["level_vi"] == "Trưởng ca"
    assert [e["outcome"] for e in rig.audited("sign_in")] == ["ok"]


def test_a_wrong_password_is_refused_with_a_message_and_audited(tmp_path) -> None:
    rig = make_rig(tmp_path)
    client = client_for(rig)
    response = client.post("/login", data={"name": "ioc.le.thu", "password": "not-it"})
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in response.text
    assert COOKIE not in response.cookies
    unknown = client.post("/login", data={"name": "nobody", "password": "x"})
    assert unknown.status_code == 401
    assert [(e["person"], e["outcome"]) for e in rig.audited("sign_in")] == [
        ("ioc.le.thu", "refused"),
        ("nobody", "refused"),
    ]


def test_without_a_session_pages_send_to_sign_in_and_the_api_answers_401(tmp_path) -> None:
    client = client_for(make_rig(tmp_path))
    assert client.get("/").headers["location"] == "/login"
    refused = client.get("/api/queue")
    assert refused.status_code == 401 and refused.json()["error"] == "Chưa đăng nhập."


def test_an_expired_session_is_refused_and_audited(tmp_path) -> None:
    rig = make_rig(tmp_path, ttl_s=60)
    client = client_for(rig)
    client.cookies.set(COOKIE, rig.console.sessions.issue("ioc.le.thu", now=time.time() - 120))
    response = client.get("/alerts/AL-1")
    assert response.status_code == 303 and response.headers["location"] == "/login?ly_do=expired"
    assert "Phiên đăng nhập đã hết hạn" in client.get("/login?ly_do=expired").text
    (entry,) = rig.audited("session")
    assert entry["person"] == "ioc.le.thu" and entry["outcome"] == "refused"
    assert entry["detail"].startswith("expired GET /alerts/AL-1")


def test_a_forged_session_is_refused_and_audited(tmp_path) -> None:
    rig = make_rig(tmp_path)
    client = client_for(rig)
    genuine = rig.console.sessions.issue("xem")
    payload, _, signature = genuine.partition(".")
    # The viewer's cookie, its payload rewritten to name the shift lead, keeping the old signature.
    other = rig.console.sessions.issue("truong.ca").partition(".")[0]
    client.cookies.set(COOKIE, f"{other}.{signature}")
    response = client.post("/alerts/AL-1/actions", data={"kind": "false_alarm"})
    assert response.status_code == 303 and response.headers["location"] == "/login?ly_do=forged"
    client.cookies.set(COOKIE, "garbage")
    assert client.get("/api/queue").status_code == 401
    assert [e["detail"].split()[0] for e in rig.audited("session")] == ["forged", "forged"]
    assert payload != other


def test_a_disabled_account_loses_its_open_session(tmp_path) -> None:
    rig = make_rig(tmp_path)
    client = signed_in(rig, "ioc.le.thu")
    assert client.get("/").status_code == 200
    disable_account(rig.accounts, "ioc.le.thu")
    assert client.get("/").headers["location"] == "/login?ly_do=expired"
    assert "account disabled" in rig.audited("session")[0]["detail"]


def test_a_viewer_trying_an_action_is_refused_in_vietnamese_and_audited(tmp_path) -> None:
    with stand_in_router() as router:
        rig = make_rig(tmp_path, router.url)
        client = signed_in(rig, "xem")
        page = client.get("/alerts/AL-1")
        assert "Vai trò Người xem chỉ được xem." in page.text and 'name="kind"' not in page.text
        response = client.post("/alerts/AL-1/actions", data={"kind": "ack"})
        assert response.status_code == 403
        assert "Vai trò Người xem không được phép thực hiện “Xác nhận”." in response.text
        assert router.requests == []
    (entry,) = rig.audited("ack")
    assert (entry["person"], entry["role"], entry["outcome"], entry["alert_id"]) == (
        "xem",
        "viewer",
        "refused",
        "AL-1",
    )


def test_an_operator_may_not_hand_over_but_a_shift_lead_may(tmp_path) -> None:
    with stand_in_router() as router:
        rig = make_rig(tmp_path, router.url)
        operator = signed_in(rig, "ioc.le.thu")
        assert (
            operator.post("/alerts/AL-1/actions", data={"kind": "handover", "unit": "CSGT"}).status_code
            == 403
        )
        lead = signed_in(rig, "truong.ca")
        done = lead.post(
            "/alerts/AL-1/actions", data={"kind": "handover", "unit": "CSGT", "text": "  theo tuyến "}
        )
        assert done.status_code == 200 and "Đã thực hiện." in done.text
        (request,) = router.requests
    assert request["body"] == {"kind": "handover", "by": "truong.ca", "text": "theo tuyến", "unit": "CSGT"}
    assert request["auth"] == "Bearer secret-token" and request["path"] == "/api/alerts/AL-1/actions"
    assert [e["outcome"] for e in rig.audited("handover")] == ["refused", "ok"]


def test_an_acknowledgement_goes_to_the_router_as_the_signed_in_officer(tmp_path) -> None:
    with stand_in_router() as router:
        rig = make_rig(tmp_path, router.url)
        client = signed_in(rig, "ioc.le.thu")
        assert client.post("/alerts/AL-1/actions", data={"kind": "ack"}).status_code == 200
        router.status, router.answer = 409, {"done": False, "reason": "Cảnh báo đã được xác nhận trước đó."}
        again = client.post("/alerts/AL-1/actions", data={"kind": "ack"})
        assert again.status_code == 409 and "Cảnh báo đã được xác nhận trước đó." in again.text
    assert [r["body"]["by"] for r in router.requests] == ["ioc.le.thu", "ioc.le.thu"]
    assert [e["outcome"] for e in rig.audited("ack")] == ["ok", "refused"]


def test_an_unknown_action_or_a_hand_over_without_a_unit_is_refused_before_the_router(tmp_path) -> None:
    with stand_in_router() as router:
        rig = make_rig(tmp_path, router.url)
        lead = signed_in(rig, "truong.ca")
        assert lead.post("/alerts/AL-1/actions", data={"kind": "delete"}).status_code == 400
        missing = lead.post("/alerts/AL-1/actions", data={"kind": "handover"})
        assert missing.status_code == 400 and "Chọn đơn vị nhận bàn giao." in missing.text
        assert router.requests == []


def test_evidence_links_are_shown_to_operators_only_and_each_showing_is_audited(tmp_path) -> None:
    rig = make_rig(tmp_path)
    rig.store.links = [{"observed_at": rig.store.alerts[0]["opened_at"], "incident_type": "accident",
                        "evidence_ref": "https://vms.example/clip/1"}]  # fmt: skip
    assert "https://vms.example/clip/1" in signed_in(rig, "ioc.le.thu").get("/alerts/AL-1").text
    viewer_page = signed_in(rig, "xem").get("/alerts/AL-1").text
    assert (
        "https://vms.example/clip/1" not in viewer_page
        and "không được xem đường dẫn bằng chứng" in viewer_page
    )
    assert [e["person"] for e in rig.audited("evidence_shown")] == ["ioc.le.thu"]


def test_the_alert_page_has_history_and_a_map_with_the_alert_on_it(tmp_path) -> None:
    page = signed_in(rig := make_rig(tmp_path), "xem").get("/alerts/AL-1").text
    assert 'class="alert-marker"' in page and 'data-area="26001"' in page and "area-hit" in page
    assert "Chuyển cấp" in page and "Lê Thị Thu (ioc.le.thu)" in page
    assert signed_in(rig, "xem").get("/alerts/NOPE").status_code == 404


def test_the_console_says_so_while_the_warehouse_does_not_answer(tmp_path) -> None:
    rig = make_rig(tmp_path)
    client = signed_in(rig, "xem")
    rig.store.down = True
    queue = client.get("/api/queue")
    assert queue.status_code == 503 and "Kho dữ liệu không trả lời" in queue.json()["message"]
    assert client.get("/alerts/AL-1").status_code == 503
    rig.store.down = False
    assert client.get("/api/queue").json()["ok"]


def test_the_search_reads_local_times_and_areas_below_the_one_chosen(tmp_path) -> None:
    rig = make_rig(tmp_path)
    client = signed_in(rig, "xem")
    page = client.get("/search", params={"area": "26001", "severity": "Severe", "since": "2026-12-07T07:00"})
    assert page.status_code == 200 and "1 kết quả." in page.text
    (criteria,) = rig.store.searched
    assert "26001" in criteria["areas"] and "73101" in criteria["areas"]  # its former codes too
    assert criteria["since"].utcoffset().total_seconds() == 7 * 3600 and criteria["severity"] == "Severe"
    bad = client.get("/search", params={"since": "hôm qua"})
    assert bad.status_code == 400 and "“since”" in bad.text


@pytest.mark.parametrize("path", ["/", "/search", "/alerts/AL-1"])
def test_the_pages_are_in_vietnamese(tmp_path, path: str) -> None:
    page = signed_in(make_rig(tmp_path), "truong.ca").get(path)
    assert '<html lang="vi">' in page.text and "Đăng xuất" in page.text
