"""docs/catalog/forms/: a page per report form and an index, generated from the form files.

Written by `ioc forms docs`; a test keeps the committed pages equal to what the forms generate, as
for the feed pages (`ioc schemas catalog`, which leaves this sub-folder alone).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from ioc.forms.checks import RULES
from ioc.forms.loader import Forms
from ioc.forms.model import Form, Indicator, number_text

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "docs" / "catalog" / "forms"
GENERATED = (
    "> Sinh tự động từ `config/report_forms/` bằng lệnh `ioc forms docs`; đừng sửa tay. / "
    "Generated from `config/report_forms/` by `ioc forms docs`; do not edit by hand."
)
AGGREGATIONS = {
    "sum": "cộng / sum",
    "mean": "trung bình / mean",
    "min": "nhỏ nhất / min",
    "max": "lớn nhất / max",
    "last": "kỳ cuối / last",
}
EXAMPLE_DAY = date(2026, 11, 14)
TYPES = {"integer": "số nguyên / integer", "decimal": "số thập phân / decimal"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _target(indicator: Indicator) -> str:
    if indicator.target is None:
        return ""
    sign = "≥" if indicator.target.direction == "at_least" else "≤"
    return f"{sign} {number_text(indicator.target.value)}"


def _period(form: Form) -> str:
    if form.period == "ad_hoc":
        return "Đột xuất: kỳ do báo cáo ghi (từ ngày ≤ đến ngày) / ad hoc: the period the report names"
    return (
        f"{form.period_vi} (`{form.period_type}`), chốt số liệu ngày {form.cutoff_day} "
        f"(kỳ bắt đầu ngày {form.cutoff_day + 1}) / {form.period}, data cut off on day {form.cutoff_day}"
    )


def form_page(form: Form, owners: tuple[str, ...], source: str) -> str:
    """The page of one form."""
    rows = [
        f"| `{i.code}` | {_cell(i.name_vi)} | {_cell(i.unit)} | {TYPES[i.type]} | "
        f"{number_text(i.min)} … {number_text(i.max)} | "
        f"{AGGREGATIONS[i.over_areas]} | {AGGREGATIONS[i.over_periods]} | {_target(i)} |"
        for i in form.indicators
    ]
    example = form.indicators[0]
    start, end = form.period_of(EXAMPLE_DAY) or (EXAMPLE_DAY - timedelta(days=2), EXAMPLE_DAY)
    lines = [
        f"# {form.code}: {form.name_vi}",
        "",
        GENERATED,
        "",
        "[← Biểu mẫu / Forms](README.md) · [Luồng dữ liệu / Feed: ioc.department.report-values]"
        "(../ioc.department.report-values.md)",
        "",
        "| Mục / Item | Giá trị / Value |",
        "|---|---|",
        f"| Mã biểu mẫu / Form code (`report_code`) | `{form.code}` |",
        f"| Lĩnh vực / Sector | {form.sector_vi} (`{form.sector}`) |",
        f"| Kỳ báo cáo / Period | {_period(form)} |",
        f"| Hạn gửi / Due | {form.due_days} ngày sau ngày cuối kỳ / days after the period ends |",
        f"| Nơi nhận / Receiving body | {_cell(form.receiver_vi)} |",
        f"| Căn cứ / Legal basis | {_cell(form.legal_basis_vi)} |",
        f"| Đơn vị báo cáo / Owning units | {', '.join(f'`{u}`' for u in owners)} |",
        f"| Tệp / File | `config/report_forms/{source}` |",
        "",
        "## Chỉ tiêu / Indicators",
        "",
        "Chỉ tiêu cộng theo địa bàn và theo kỳ như cột tương ứng; chỉ tiêu kế hoạch là của một kỳ, toàn tỉnh. "
        "/ Values combine over areas and over periods as the columns say; the plan is for one period, "
        "province-wide.",
        "",
        "| Mã / Code | Tên chỉ tiêu | Đơn vị tính / Unit | Kiểu / Type | Khoảng / Range | Theo địa bàn / Over "
        "areas | Theo kỳ / Over periods | Kế hoạch / Plan |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "## Gửi số liệu / Sending values",
        "",
        f"- Mẫu Excel / Excel template: `ioc forms template {form.code} --unit <MÃ-ĐƠN-VỊ>` → điền cột "
        "**Giá trị**, tải lên nguyên tệp / fill in the values and upload the file as it is "
        "(`POST /v1/uploads/department/report-values` or `ioc ingest upload`).",
        "- JSON: `POST /v1/feeds/department/report-values`, mỗi chỉ tiêu một bản ghi / one record per "
        "indicator, for example:",
        "",
        "```json",
        "{",
        f'  "event_id": "{form.code}-{owners[0] if owners else "UNIT"}-{example.code}-{end.isoformat()}",',
        f'  "reporting_unit_code": "{owners[0] if owners else "UNIT"}",',
        f'  "observed_at": "{(end + timedelta(days=2)).isoformat()}T02:00:00Z",',
        f'  "report_code": "{form.code}",',
        f'  "indicator_code": "{example.code}",',
        f'  "period_type": "{form.period_type}",',
        f'  "period_start": "{start.isoformat()}",',
        f'  "period_end": "{end.isoformat()}",',
        f'  "value": {number_text(example.min)},',
        f'  "unit_of_measure": "{example.unit}"',
        "}",
        "```",
        "",
        "Bản ghi sai biểu mẫu bị từ chối từng bản ghi và chuyển vào `ioc.dlq.department` với quy tắc: / A "
        "record that breaks its form is rejected on its own and sent to `ioc.dlq.department` with rule:",
        "",
        "| Quy tắc / Rule | Ý nghĩa | Meaning |",
        "|---|---|---|",
        *(f"| `{rule}` | {vi} | {en} |" for rule, (vi, en) in RULES.items()),
        "",
    ]
    return "\n".join(lines)


def index_page(forms: Forms) -> str:
    """The list of forms."""
    rows = [
        f"| [`{f.code}`]({f.code}.md) | {_cell(f.name_vi)} | {f.sector_vi} | {f.period_vi} | "
        f"{len(f.indicators)} | {len(forms.owner_units(f.code))} |"
        for f in sorted(forms, key=lambda form: form.code)
    ]
    return "\n".join(
        [
            "# Biểu mẫu báo cáo / Report forms",
            "",
            GENERATED,
            "",
            "[← Danh mục / Catalogue](../README.md)",
            "",
            "Các biểu mẫu báo cáo định kỳ theo chế độ báo cáo của Nghị định 09/2019/NĐ-CP mà các sở, ban, ngành "
            "và UBND xã, phường gửi qua luồng `ioc.department.report-values`. / The periodic report forms "
            "(Decree 09/2019/NĐ-CP) that departments and communes send on `ioc.department.report-values`. "
            'Onboarding: README, section "Onboarding a department to a report form".',
            "",
            "| Mã / Code | Tên biểu mẫu | Lĩnh vực / Sector | Kỳ / Period | Chỉ tiêu / Indicators | "
            "Đơn vị / Units |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )


def render_pages(forms: Forms) -> dict[str, str]:
    """File name -> text of every page."""
    pages = {
        f"{form.code}.md": form_page(form, forms.owner_units(form.code), forms.paths[form.code].name)
        for form in forms
    }
    return dict(sorted((pages | {"README.md": index_page(forms)}).items()))


def write_pages(forms: Forms, out_dir: Path = DEFAULT_DIR) -> list[Path]:
    """Writes the pages, removing those of forms that no longer exist."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = render_pages(forms)
    for stale in out_dir.glob("*.md"):
        if stale.name not in pages:
            stale.unlink()
    written = []
    for name, text in pages.items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
