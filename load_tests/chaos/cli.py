"""The chaos run's command line and its table (English, like the benchmark's: it is for engineers)."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from load_tests.chaos.run import Outcome, run_chaos, write_result
from load_tests.chaos.schedule import VARIANTS

RESULTS = Path(__file__).resolve().parent.parent / "results"


def table(outcome: Outcome) -> Table:
    faults = Table(
        title=f"Chaos run ({outcome.variant}), {outcome.started_at}: {outcome.acknowledged:,} records acknowledged"
    )
    for column in ("fault", "time to recover (s)", "records delayed", "lost", "duplicated"):
        faults.add_column(column, justify="left" if column == "fault" else "right")
    for row in [outcome.baseline, *outcome.faults]:
        recover = "—" if row.recover_s is None and row is outcome.baseline else str(row.recover_s)
        faults.add_row(row.fault, recover, f"{row.delayed:,}", str(row.lost), str(row.duplicated))
    return faults


def levels(outcome: Outcome) -> Table:
    checks = Table(title="Totals against the ledger")
    for column in ("level", "windows compared", "short", "over", "late (not compared)"):
        checks.add_column(column, justify="left" if column == "level" else "right")
    for level in outcome.levels:
        checks.add_row(
            level.level, f"{level.compared:,}", str(level.short), str(level.over), str(level.late_windows)
        )
    checks.add_row("alerts: revisions missing", str(outcome.alerts), str(outcome.alert_revision_gaps), "", "")
    checks.add_row("alerts: opened twice", str(outcome.alerts), "", str(outcome.alerts_opened_twice), "")
    checks.add_row(
        "notifications: sent twice",
        str(outcome.notifications_sent),
        "",
        str(outcome.notifications_sent_twice),
        "",
    )
    return checks


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m load_tests.chaos",
        description="The platform on a three-broker cluster under the live province, struck by faults; "
        "then every acknowledged record is checked: stored once, counted once.",
    )
    parser.add_argument(
        "--variant", choices=sorted(VARIANTS), default="full", help="full: every fault; short: CI's"
    )
    parser.add_argument(
        "--stack-dir", type=Path, help="the run's own stack folder (default: a new temporary one)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON result goes")
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    stack_dir = args.stack_dir or Path(tempfile.mkdtemp(prefix="ioc-chaos-")) / "stack"
    outcome = run_chaos(args.variant, stack_dir, lambda line: console.print(f"• {line}"))
    out = Console()
    out.print(table(outcome))
    out.print(levels(outcome))
    for level in outcome.levels:
        for example in level.examples:
            out.print(f"  {level.level}: {example}")
    path = write_result(outcome, args.out)
    out.print(f"result: {path}")
    if outcome.clean:
        if args.stack_dir is None:
            shutil.rmtree(stack_dir.parent, ignore_errors=True)
        return
    out.print(f"[red]records were lost or counted twice[/red]; logs and data kept in {stack_dir}")
    sys.exit(1)
