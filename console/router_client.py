"""The alert router's operator-action API, as the console calls it.

`POST {router}/api/alerts/{alert_id}/actions` with a bearer token and
`{"kind", "by", "text", "unit"}`; the router answers 200 `{"done": true}`, 202 `{"done": false,
"pending": true, "reason"}` (accepted, not yet applied), 409 `{"done": false, "reason"}` (refused,
the reason in Vietnamese: a second acknowledgement, an unknown unit), 400 for a malformed request and
401 for a wrong token. Every answer, and a router that does not answer, becomes an `Outcome` with a
Vietnamese message the page can show as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

import httpx

Kind = Literal["ack", "note", "handover", "resolve", "false_alarm"]
KINDS: tuple[Kind, ...] = ("ack", "note", "handover", "resolve", "false_alarm")


@dataclass(frozen=True)
class Outcome:
    """`done`: applied; `pending`: accepted, to be applied shortly; neither: refused or failed."""

    done: bool
    pending: bool
    message: str
    status: int


class RouterClient:
    """One router, one token; a fresh connection per action (actions are rare)."""

    def __init__(self, base_url: str, token: str, timeout_s: float = 10.0) -> None:
        self.base_url, self._token, self.timeout_s = base_url.rstrip("/"), token, timeout_s

    def act(self, alert_id: str, kind: Kind, by: str, text: str = "", unit: str = "") -> Outcome:
        """Ask the router to perform `kind` on the alert as officer `by`."""
        url = f"{self.base_url}/api/alerts/{quote(alert_id, safe='')}/actions"
        body = {"kind": kind, "by": by, "text": text, "unit": unit}
        try:
            response = httpx.post(
                url, json=body, headers={"Authorization": f"Bearer {self._token}"}, timeout=self.timeout_s
            )
        except httpx.HTTPError as error:
            return Outcome(False, False, f"Bộ định tuyến cảnh báo không trả lời ({error}); hãy thử lại.", 0)
        return _outcome(response)


def _reason(response: httpx.Response) -> str:
    try:
        answer = response.json()
    except ValueError:
        return response.text.strip()[:200]
    return str(answer.get("reason", "")) if isinstance(answer, dict) else ""


def _outcome(response: httpx.Response) -> Outcome:
    status, reason = response.status_code, _reason(response)
    if status == 200:
        return Outcome(True, False, "Đã thực hiện.", status)
    if status == 202:
        return Outcome(False, True, f"Đã tiếp nhận, đang xử lý. {reason}".strip(), status)
    if status == 409:
        return Outcome(False, False, reason or "Bộ định tuyến từ chối thao tác này.", status)
    if status == 401:
        return Outcome(
            False, False, "Bảng điều hành chưa được cấp quyền gọi bộ định tuyến (sai token).", status
        )
    if status == 400:
        return Outcome(False, False, f"Yêu cầu không hợp lệ: {reason}", status)
    return Outcome(False, False, f"Bộ định tuyến báo lỗi {status}: {reason}", status)
