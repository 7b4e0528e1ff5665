"""The platform on a three-broker KRaft cluster, started as a user starts it:
`ioc run --brokers 3 --workers 3` (its own stack folder, beside the session's one-broker stack).

Every topic of the catalog, and the broker's own offsets and transaction logs, keep three copies and
acknowledge a write once two have it; the three workers share one group; Ctrl-C stops everything it
started. What a broker crash on such a cluster does (nothing lost, nothing counted twice) is the
chaos run's to show: tests/integration/test_chaos.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource
from pydantic import SecretStr

from ioc.credentials import check_kafka_login
from ioc.endpoints import Endpoints, read_state, resolve
from ioc.settings import Settings, StackSettings
from ioc.stack import process
from ioc.stack.errors import StackError
from ioc.stack.manager import LocalStack
from tests.integration.conftest import progress
from tests.integration.helpers import wait_for, warehouse_client
from topics.catalog import ALL_TOPICS, INTERNAL_TOPICS

BROKERS = 3
WORKERS = 3
STARTUP_S = 300  # three brokers, the registry, the warehouse and three workers on two cores


class PlatformRun:
    """`ioc run` as a child process in a stack folder of its own."""

    def __init__(self, stack_dir: Path) -> None:
        self.settings = Settings(stack=StackSettings(dir=stack_dir))
        self.log = stack_dir.parent / "ioc-run.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = [sys.executable, "-m", "ioc.cli", "run", "--brokers", str(BROKERS), "--workers", str(WORKERS)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [*argv, "--cameras", "20"],
                env=os.environ | {"IOC_STACK_DIR": str(self.settings.stack.dir)},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def endpoints(self) -> Endpoints | None:
        """Every service's address once the stack has recorded them all."""
        state = read_state(self.settings.stack.dir)
        if not {"kafka", "registry", "warehouse"} <= set(state):
            return None
        return resolve(self.settings)

    def indicator_rows(self, since_ms: int = 0) -> int:
        endpoints = self.endpoints()
        if endpoints is None:
            return 0
        try:
            client = warehouse_client(endpoints, self.settings)
            rows = client.query(
                "SELECT count() FROM indicators WHERE computed_at >= fromUnixTimestamp64Milli({since:Int64})",
                parameters={"since": since_ms},
            )
            return int(rows.result_rows[0][0])
        except Exception:  # the warehouse or its tables are not there yet
            return 0

    def interrupt(self, timeout_s: float = 150) -> int | None:
        """Ctrl-C, as a user stops it; the exit code, or None if it did not end in time."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[PlatformRun]:
    run = PlatformRun(tmp_path / "stack")
    try:
        yield run
    finally:
        if run.proc is not None and run.interrupt(timeout_s=30) is None:
            os.killpg(run.proc.pid, signal.SIGKILL)
            run.proc.wait()
        LocalStack(run.settings, progress).down()  # whatever a failed run left behind


def test_ioc_run_on_three_brokers_with_three_workers_keeps_three_copies_and_stops_on_ctrl_c(
    platform: PlatformRun,
) -> None:
    progress("ioc run --brokers 3 --workers 3 (its own stack)…")
    platform.start()
    wait_for(platform.indicator_rows, lambda rows: rows > 0, timeout_s=STARTUP_S, every_s=2)
    assert platform.indicator_rows() > 0, platform.output()
    endpoints = platform.endpoints()
    assert endpoints is not None
    assert len(endpoints.kafka.split(",")) == BROKERS

    admin = AdminClient(endpoints.kafka_client())
    metadata = admin.list_topics(timeout=30)
    assert len(metadata.brokers) == BROKERS
    names = [spec.full_name() for spec in ALL_TOPICS + INTERNAL_TOPICS] + ["__consumer_offsets"]
    names.append("__transaction_state")
    copies = {name: {len(p.replicas) for p in metadata.topics[name].partitions.values()} for name in names}
    assert all(found == {3} for found in copies.values()), copies
    resources = [ConfigResource(ConfigResource.Type.TOPIC, name) for name in names]
    min_insync = {
        resource.name: future.result()["min.insync.replicas"].value
        for resource, future in admin.describe_configs(resources).items()
    }
    assert set(min_insync.values()) == {"2"}, min_insync
    group = admin.describe_consumer_groups(["ioc-streams"])["ioc-streams"].result()
    assert sorted(m.group_instance_id for m in group.members) == [f"w{n}" for n in range(1, WORKERS + 1)]

    refusals_of_the_secured_cluster(platform, endpoints)

    code = platform.interrupt()
    assert code is not None, "ioc run did not stop within 150 s of Ctrl-C"
    assert "stopped" in platform.output()
    assert not started_in(platform.settings.stack.dir), "still running after Ctrl-C"


def refusals_of_the_secured_cluster(platform: PlatformRun, endpoints: Endpoints) -> None:
    """The cluster is secured by default: the platform's services above logged in with the stack's
    own SCRAM user over TLS; a stranger, a wrong password and a client without TLS are refused, and
    the registry asks for its credentials."""
    auth = endpoints.kafka_auth
    assert auth.protocol == "SASL_SSL" and auth.username == "ioc" and auth.ca_file
    assert endpoints.registry_auth.username == "ioc"

    wrong = replace(auth, password=SecretStr("not-the-password"))
    with pytest.raises(
        StackError, match="refused this client \\(user 'ioc'\\).*[Aa]uthentication"
    ) as refused:
        check_kafka_login({"bootstrap.servers": endpoints.kafka} | wrong.client_config(), timeout_s=20)
    assert "KAFKA_SASL_PASSWORD_FILE" in refused.value.hint
    plaintext = AdminClient({"bootstrap.servers": endpoints.kafka, "socket.timeout.ms": 3000, "log_level": 0})
    with pytest.raises(KafkaException):
        plaintext.list_topics(timeout=5)

    # A service given a wrong password stops at once and says what to fix, without the password.
    run = subprocess.run(
        [sys.executable, "-m", "ioc.cli", "worker"],
        env=os.environ
        | {
            "IOC_STACK_DIR": str(platform.settings.stack.dir),
            "KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka,
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_USERNAME": "ioc",
            "KAFKA_SASL_PASSWORD": "not-the-password",
            "KAFKA_SSL_CA_LOCATION": auth.ca_file,
        },
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode != 0 and "error:" in output and "hint:" in output, output[-2000:]
    assert "not-the-password" not in output

    subjects = f"{endpoints.registry}/subjects"
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(subjects, timeout=10)  # noqa: S310 - the test's own loopback registry
    assert anonymous.value.code == 401
    request = urllib.request.Request(subjects, headers=endpoints.registry_auth.header())  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        assert answer.status == 200 and json.loads(answer.read())


def started_in(stack_dir: Path) -> list[str]:
    """Command lines of live processes started for this stack folder (its services and workers have
    it in their environment)."""
    marker = f"IOC_STACK_DIR={stack_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or not process.is_alive(int(entry.name)):
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:120])
        except OSError:  # gone meanwhile
            continue
    return found
