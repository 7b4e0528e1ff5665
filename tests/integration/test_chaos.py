"""The chaos run's short variant, as CI runs it: `python -m load_tests.chaos --variant short`.

Three brokers, three workers, two gateways, two sets of sinks and the router, the whole province
sent live through the gateways, and four faults (the busiest partition's leader SIGKILLed, a
worker and a gateway SIGKILLed, the sink cut from the warehouse). The run checks itself from its
ledger and ClickHouse; this test starts it as a user would and reads the JSON it writes, so that a
run that checked nothing (no fault struck, no window compared, no alert raised) fails too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from load_tests.chaos.schedule import VARIANTS
from tests.integration.conftest import progress

RUN_TIMEOUT_S = 1200
# On SIGTERM the run stops the stack it started (three brokers, the registry, the warehouse and the
# platform's processes), each given up to 25 s.
STOP_TIMEOUT_S = 240


def _run_chaos(command: list[str], log: Path) -> int:
    """Run the chaos run to its end; past RUN_TIMEOUT_S, end it as Ctrl-C would, so that it stops its
    stack rather than leaving brokers behind to starve the tests after this one."""
    with log.open("wb") as out, subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT) as run:
        try:
            return run.wait(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            run.terminate()
            run.wait(timeout=STOP_TIMEOUT_S)
            raise


@pytest.mark.timeout(RUN_TIMEOUT_S + STOP_TIMEOUT_S + 60)
def test_the_short_chaos_run_loses_nothing_and_counts_nothing_twice(tmp_path: Path) -> None:
    progress("python -m load_tests.chaos --variant short (its own three-broker stack)…")
    log = tmp_path / "chaos.log"
    returncode = _run_chaos(
        [sys.executable, "-m", "load_tests.chaos", "--variant", "short"]
        + ["--stack-dir", str(tmp_path / "stack"), "--out", str(tmp_path / "results")],
        log,
    )
    output = log.read_text(errors="replace")
    assert returncode == 0, output[-6000:]
    [result] = (tmp_path / "results").glob("chaos-short-*.json")
    outcome = json.loads(result.read_text())

    assert outcome["clean"] is True
    assert outcome["acknowledged"] > 5_000, "too little load to prove anything"
    assert [row["fault"] for row in outcome["faults"]] == [fault.name for fault in VARIANTS["short"].faults]
    for row in [outcome["baseline"], *outcome["faults"]]:
        assert (row["lost"], row["duplicated"]) == (0, 0), row
    assert all(row["recover_s"] is not None for row in outcome["faults"]), outcome["faults"]
    for level in outcome["levels"]:
        assert level["compared"] > 0, level
        assert (level["short"], level["over"]) == (0, 0), level
    assert outcome["alerts"] > 0, "no alert was raised: the alert checks had nothing to check"
    assert (outcome["alert_revision_gaps"], outcome["alerts_opened_twice"]) == (0, 0)
    assert outcome["notifications_sent"] > 0, "no notification was sent: nothing to check for repeats"
    assert outcome["notifications_sent_twice"] == 0
    # The faults really struck: the killed worker and gateway were started again.
    assert {"worker-2", "gateway-1"} <= set(outcome["restarts"]), outcome["restarts"]
