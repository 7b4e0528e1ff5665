"""The JSON document sent upward for one report (documented field by field in docs/upward.md)."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from reports.store import StoredReport
from reports.upward.mapping import Mapping

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SCHEMA = "ioc.province-report"


def idempotency_key(province_code: str, report_id: str) -> str:
    """One key per report and province, the same on every attempt: the receiver keeps the first."""
    return f"ioc-{province_code}-{report_id}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(VN).isoformat(timespec="seconds")


def build_payload(
    report: StoredReport, mapping: Mapping, province_code: str, province_vi: str
) -> tuple[dict[str, Any], list[str]]:
    """The document, and the report's indicator codes that have no national code (left out)."""
    indicators = [
        {
            "national_code": national.national_code,
            "province_code": code,
            "name_vi": national.name_vi,
            "unit": national.unit,
            "value": value,
            "area_code": province_code,
        }
        for code, value in sorted(report.figures.items())
        if (national := mapping.indicators.get(code)) is not None
    ]
    unmapped = sorted(code for code in report.figures if code not in mapping.indicators)
    pdf = Path(report.pdf_path).read_bytes() if report.pdf_path else b""
    document = {
        "schema": SCHEMA,
        "version": mapping.payload_version,
        "idempotency_key": idempotency_key(province_code, report.report_id),
        "sender": {"province_code": province_code, "province_name": province_vi, "system": "IOC"},
        "report": {
            "id": report.report_id,
            "kind": report.kind,
            "form_code": report.form_code or None,
            "title": report.title,
            "period": {"start": _iso(report.period_start), "end": _iso(report.period_end)},
            "generated_at": _iso(report.generated_at),
            "missing": report.missing,
        },
        "indicators": indicators,
        "attachment": (
            {
                "filename": Path(report.pdf_path).name,
                "media_type": "application/pdf",
                "sha256": report.pdf_sha256,
                "content_base64": base64.b64encode(pdf).decode(),
            }
            if pdf
            else None
        ),
    }
    return document, unmapped


def encode(document: dict[str, Any]) -> bytes:
    """The exact bytes signed and sent (UTF-8, Vietnamese kept as it is, keys sorted)."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
