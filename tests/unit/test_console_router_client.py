"""The console's client of the router's action API against a loopback stand-in server: what it
sends (path, bearer token, body) and how each documented answer becomes an outcome with a message
in Vietnamese, including a router that does not answer at all."""

from __future__ import annotations

import socket

import pytest

from console.router_client import RouterClient
from tests.unit.console_fixtures import stand_in_router


def test_it_posts_the_action_with_the_token_and_reads_done() -> None:
    with stand_in_router() as router:
        outcome = RouterClient(router.url + "/", "tok").act(
            "AL/1 x", "note", "ioc.le.thu", "đã gọi hiện trường"
        )
        (request,) = router.requests
    assert outcome.done and not outcome.pending and outcome.message == "Đã thực hiện."
    assert request["path"] == "/api/alerts/AL%2F1%20x/actions"  # the id is one path segment
    assert request["auth"] == "Bearer tok"
    assert request["body"] == {"kind": "note", "by": "ioc.le.thu", "text": "đã gọi hiện trường", "unit": ""}


@pytest.mark.parametrize(
    ("status", "answer", "done", "pending", "message"),
    [
        (202, {"done": False, "pending": True, "reason": "chờ bộ định tuyến chính"}, False, True,
         "Đã tiếp nhận, đang xử lý. chờ bộ định tuyến chính"),
        (409, {"done": False, "reason": "Đơn vị XYZ không có trong lịch trực."}, False, False,
         "Đơn vị XYZ không có trong lịch trực."),
        (400, {"done": False, "reason": "kind: unknown"}, False, False, "Yêu cầu không hợp lệ: kind: unknown"),
        (401, {"detail": "bad token"}, False, False,
         "Bảng điều hành chưa được cấp quyền gọi bộ định tuyến (sai token)."),
        (500, {"reason": "boom"}, False, False, "Bộ định tuyến báo lỗi 500: boom"),
    ],
)  # fmt: skip
def test_each_answer_of_the_router_becomes_an_outcome(status, answer, done, pending, message) -> None:
    with stand_in_router() as router:
        router.status, router.answer = status, answer
        outcome = RouterClient(router.url, "tok").act("AL-1", "handover", "truong.ca", unit="XYZ")
    assert (outcome.done, outcome.pending, outcome.message, outcome.status) == (
        done,
        pending,
        message,
        status,
    )


def test_a_router_that_does_not_answer_is_said_so() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    outcome = RouterClient(f"http://127.0.0.1:{port}", "tok", timeout_s=2).act("AL-1", "ack", "ioc.le.thu")
    assert not outcome.done and outcome.status == 0
    assert outcome.message.startswith("Bộ định tuyến cảnh báo không trả lời")
