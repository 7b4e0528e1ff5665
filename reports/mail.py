"""A report (the daily brief, a period report) by e-mail, through the alert router's e-mail channel
(routing/channels), with the PDF attached; each recipient's delivery is written to
`report_deliveries`, and a recipient who has it already is not sent it again."""

from __future__ import annotations

import hashlib
from pathlib import Path

from clickhouse_connect.driver.client import Client

from ioc.personal_data import mask_address
from ioc.settings import Settings
from reports import store
from reports.store import StoredReport
from routing.channels.base import Channel, DeliveryError
from routing.channels.factory import build_channels
from routing.clock import SystemClock
from routing.templates import Attachment, Message

DESTINATION = "email"


def recipients(settings: Settings) -> list[str]:
    return [a.strip() for a in settings.reports.recipients.split(",") if a.strip()]


def email_channel(settings: Settings) -> Channel:
    return build_channels(settings.routing, SystemClock())["email"]


def message(report: StoredReport) -> Message:
    pdf = Path(report.pdf_path)
    missing = "\n".join(f"- {line}" for line in report.missing) or "- không"
    text = (
        f"Kính gửi lãnh đạo Trung tâm,\n\n{report.title} đính kèm (PDF).\n\n"
        f"Thiếu dữ liệu:\n{missing}\n\nMã báo cáo: {report.report_id}\n"
        "Thư gửi tự động từ nền tảng IOC; không trả lời thư này."
    )
    return Message(
        message_id=f"report-{hashlib.sha256(report.report_id.encode()).hexdigest()[:24]}",
        subject=f"[IOC] {report.title}",
        text=text,
        items=(),
        attachments=(Attachment(pdf.name, "application/pdf", pdf.read_bytes()),),
    )


def send_report(
    client: Client, channel: Channel, report: StoredReport, addresses: list[str]
) -> dict[str, str]:
    """Send `report` to each address that has not had it; returns each address's outcome."""
    if not report.pdf_path:
        raise ValueError(f"report {report.report_id}: no PDF to attach (generated without a browser)")
    mail = message(report)
    history = _history(client, report.report_id)
    outcomes = {}
    for address in addresses:
        key = recipient_key(mail.message_id, address)
        tries, sent = history.get(key, (0, False))
        if sent:
            outcomes[address] = "already sent"
            continue
        try:
            channel.send(address, mail)
            status, reason = "sent", ""
        except DeliveryError as error:
            status, reason = "failed", str(error)
        store.record_delivery(
            client, report_id=report.report_id, destination=DESTINATION, address=mask_address(address),
            idempotency_key=key, attempt=tries + 1, status=status, reason=reason.replace(address, mask_address(address)),
        )  # fmt: skip
        outcomes[address] = status if not reason else f"{status}: {reason}"
    return outcomes


def recipient_key(message_id: str, address: str) -> str:
    """One key per report and recipient: the ledger keeps addresses masked (officials' work
    contacts, as `notifications` does), so a recipient is recognised by this key instead."""
    return f"{message_id}:{hashlib.sha256(address.strip().lower().encode()).hexdigest()[:16]}"


def _history(client: Client, report_id: str) -> dict[str, tuple[int, bool]]:
    """Each recipient key's attempts so far and whether one of them was sent."""
    result = client.query(
        "SELECT idempotency_key, count(), countIf(status = 'sent') > 0 FROM report_deliveries FINAL "
        "WHERE report_id = {r:String} AND destination = {d:String} GROUP BY idempotency_key",
        parameters={"r": report_id, "d": DESTINATION},
    )
    return {row[0]: (row[1], bool(row[2])) for row in result.result_rows}
