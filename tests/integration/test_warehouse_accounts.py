# ruff: noqa: S608 - the SQL names the audit table and the accounts this test creates
"""Persons' accounts and the audit log on the running embedded warehouse.

Accounts are made and disabled with the real `ioc db users` command while the warehouse runs (no
restart); queries go over HTTP as any ClickHouse client sends them; the audit log is read back as an
auditor once the warehouse has written its batch.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for
from warehouse.users import WRITER, password_for

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:8]
AUDIT = "restricted_audit_queries"
DOC = Path(__file__).resolve().parents[2] / "docs" / "warehouse.md"
# The audit query docs/warehouse.md shows (a text block: analysts, who run the sql blocks, may not).
DOC_AUDIT_QUERY = re.search(r"```text\n(SELECT [^`]*FROM restricted_audit_queries[^`]*)```", DOC.read_text())


def ioc_users(stack: RunningStack, *args: str) -> str:
    """`ioc db users …` as the operator runs it; its standard output."""
    done = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "-m", "ioc.cli", "db", "users", *args],
        env={**os.environ, "IOC_STACK_DIR": str(stack.dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def post(stack: RunningStack, user: str, password: str, sql: str) -> httpx.Response:
    return httpx.post(stack.endpoints.clickhouse, content=sql.encode(), auth=(user, password), timeout=60)


def audited(stack: RunningStack, auditor: tuple[str, str], user: str) -> list[list[str]]:
    """The audit rows of one user, as the auditor reads them."""
    sql = (
        f"SELECT query, read_rows, outcome, error_code, role FROM {AUDIT} "
        f"WHERE user = '{user}' ORDER BY event_time FORMAT TSV"
    )
    response = post(stack, *auditor, sql)
    assert response.status_code == 200, response.text
    return [line.split("\t") for line in response.text.splitlines()]


def test_a_persons_queries_are_attributed_and_only_auditors_read_them(local_stack: RunningStack) -> None:
    analyst = f"analyst_{RUN}"
    auditor_name = f"auditor_{RUN}"
    analyst_password = ioc_users(local_stack, "add", analyst, "--role", "analyst").strip()
    auditor = (auditor_name, ioc_users(local_stack, "add", auditor_name, "--role", "auditor").strip())
    assert analyst in ioc_users(local_stack, "list")

    ok = post(local_stack, analyst, analyst_password, "SELECT sum(number) FROM numbers(1234)")
    assert (ok.status_code, ok.text) == (200, "760761\n")
    for table in (AUDIT, "restricted_camera_plate_reads"):
        refused = post(local_stack, analyst, analyst_password, f"SELECT * FROM {table}")
        assert refused.status_code == 403
        assert f"needs the grant SELECT ON ioc.{table}" in refused.text
    plates = post(local_stack, *auditor, "SELECT * FROM restricted_camera_plate_reads")
    assert plates.status_code == 403 and "restricted_camera_plate_reads" in plates.text

    rows = wait_for(lambda: audited(local_stack, auditor, analyst), lambda r: len(r) >= 3, timeout_s=30)
    assert rows[0] == ["SELECT sum(number) FROM numbers(1234)", "1234", "ok", "0", "analyst"]
    assert [row[2:4] for row in rows[1:3]] == [["ACCESS_DENIED", "497"]] * 2
    assert rows[1][0] == f"SELECT * FROM {AUDIT}"
    assert DOC_AUDIT_QUERY
    documented = post(local_stack, *auditor, DOC_AUDIT_QUERY.group(1).replace("nguyen_van_a", analyst))
    assert documented.status_code == 200 and "numbers(1234)" in documented.text


def test_a_disabled_account_is_refused_at_once_as_a_wrong_password_is(local_stack: RunningStack) -> None:
    name = f"grafana_{RUN}"
    password = ioc_users(local_stack, "add", name, "--role", "grafana").strip()
    assert post(local_stack, name, password, "SELECT 1").status_code == 200
    ioc_users(local_stack, "disable", name)
    disabled = post(local_stack, name, password, "SELECT 1")
    wrong = post(local_stack, name, password + "x", "SELECT 1")
    assert disabled.status_code == wrong.status_code == 403
    assert disabled.text == wrong.text
    unknown = post(local_stack, f"nobody_{RUN}", password, "SELECT 1")
    assert unknown.text == disabled.text.replace(name, f"nobody_{RUN}")
    assert "password is incorrect, or there is no user with such name" in disabled.text


def test_nothing_in_the_audit_log_can_be_changed_by_whom_it_records(local_stack: RunningStack) -> None:
    name = f"auditor_b_{RUN}"
    password = ioc_users(local_stack, "add", name, "--role", "auditor").strip()
    auditor = (name, password)
    assert post(local_stack, *auditor, "SELECT 1").status_code == 200
    wait_for(lambda: audited(local_stack, auditor, name), lambda r: len(r) >= 1, timeout_s=30)
    for statement in (
        f"ALTER TABLE {AUDIT} DELETE WHERE user = '{name}'",
        f"ALTER TABLE {AUDIT} UPDATE query = '' WHERE 1",
        f"INSERT INTO {AUDIT} (user, query) VALUES ('someone_else', 'SELECT 1')",
        f"TRUNCATE TABLE {AUDIT}",
        f"DROP TABLE {AUDIT}",
        f"RENAME TABLE {AUDIT} TO audit_gone",
        f"OPTIMIZE TABLE {AUDIT} FINAL",
    ):
        refused = post(local_stack, *auditor, statement)
        assert refused.status_code != 200, statement
        assert "READONLY" in refused.text or "ACCESS_DENIED" in refused.text, refused.text
    rows = audited(local_stack, auditor, name)
    assert rows[0][0] == "SELECT 1"
    writer = post(
        local_stack,
        WRITER,
        password_for(local_stack.settings, WRITER),
        f"SELECT count() FROM {AUDIT} WHERE user = 'someone_else'",
    )
    assert writer.text == "0\n"
