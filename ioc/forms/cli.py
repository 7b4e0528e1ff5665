"""`ioc forms`: list, check and document the report forms, and write a department's Excel template."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ioc.forms.loader import Forms, FormsError
from ioc.settings import Settings

console = Console(stderr=True, soft_wrap=True)
forms_app = typer.Typer(
    help="Biểu mẫu báo cáo (Nghị định 09/2019) — report forms as code: list, check, templates, docs.",
    no_args_is_help=True,
)


def _forms(settings: Settings) -> Forms:
    """The configured forms, or the command ends with every problem listed."""
    from ioc.forms import province_forms
    from ioc.province import ProvinceError

    try:
        return province_forms(settings)
    except (FormsError, ProvinceError) as error:
        console.print(
            f"[red]error:[/red] biểu mẫu không nạp được — the forms do not load ({settings.forms_dir}):"
        )
        for line in getattr(error, "problems", [str(error)]):
            console.print(f"  {line}")
        raise typer.Exit(2) from None


@forms_app.command("list")
def forms_list() -> None:
    """Liệt kê biểu mẫu — list the report forms: code, sector, period, indicators, owning units."""
    forms = _forms(Settings())
    table = Table("Mã / code", "Tên biểu mẫu", "Lĩnh vực", "Kỳ", "Chỉ tiêu", "Đơn vị")
    table.columns[0].no_wrap = True
    for form in sorted(forms, key=lambda f: f.code):
        owners = forms.owner_units(form.code)
        shown = ", ".join(owners[:4]) + (f" … (+{len(owners) - 4})" if len(owners) > 4 else "")
        table.add_row(
            form.code, form.name_vi, form.sector_vi, form.period_vi, str(len(form.indicators)), shown
        )
    Console().print(table)


@forms_app.command("check")
def forms_check(
    folder: Annotated[
        Path | None, typer.Argument(help="Thư mục biểu mẫu — forms folder (default IOC_FORMS_DIR)")
    ] = None,
) -> None:
    """Kiểm tra biểu mẫu — check every form file (against the province file); exit 2 naming each mistake."""
    settings = Settings()
    if folder is not None:
        settings = settings.model_copy(update={"forms_dir": folder})
    forms = _forms(settings)
    indicators = sum(len(form.indicators) for form in forms)
    print(f"✓ {len(forms)} biểu mẫu, {indicators} chỉ tiêu hợp lệ — forms and indicators valid")


@forms_app.command("template")
def forms_template(
    codes: Annotated[list[str], typer.Argument(help="Mã biểu mẫu — form code(s), one sheet each")],
    unit: Annotated[
        str | None, typer.Option(help="Mã đơn vị báo cáo — fill in this reporting unit, e.g. CA-TINH")
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(help="Một ngày trong kỳ (YYYY-MM-DD) — a day of the period; default the last ended one"),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Tệp .xlsx — output file")] = None,
) -> None:
    """Tạo mẫu Excel — write the .xlsx template of a form that the upload door accepts back as it is."""
    from ioc.forms.template import TemplateError, build_template

    forms = _forms(Settings())
    try:
        day = date.fromisoformat(period) if period else None
    except ValueError:
        raise typer.BadParameter(
            f"ngày không hợp lệ {period!r} — use YYYY-MM-DD", param_hint="--period"
        ) from None
    try:
        data = build_template(forms, codes, unit, day)
    except TemplateError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    target = out or Path(f"{'_'.join(codes)}{'_' + unit if unit else ''}.xlsx")
    target.write_bytes(data)
    print(target)


@forms_app.command("docs")
def forms_docs() -> None:
    """Tạo lại trang biểu mẫu — regenerate docs/catalog/forms/ from the form files."""
    from ioc.forms.pages import write_pages

    for path in write_pages(_forms(Settings())):
        print(path)
