"""Failures an operator meets get one line of cause and one of fix, never a stack trace."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest


def ioc(args: list[str], env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("IOC_", "KAFKA_", "SCHEMA_", "CLICKHOUSE_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "ioc.cli", *args],
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_one_line_cause(result: subprocess.CompletedProcess[str], cause: str, hint: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert cause in result.stderr
    assert f"hint: {hint}" in " ".join(result.stderr.split())


def test_port_in_use_names_the_port_and_the_setting(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = ioc(["stack", "up"], {"IOC_STACK_DIR": str(tmp_path), "IOC_STACK_KAFKA_PORT": str(port)})
    assert_one_line_cause(result, f"port {port} for Kafka is already in use", "stop the program that uses it")
    assert "IOC_STACK_KAFKA_PORT" in result.stderr


def test_missing_maven_says_how_to_install_it(tmp_path: Path) -> None:
    python_only = tmp_path / "bin"
    python_only.mkdir()
    (python_only / "python").symlink_to(sys.executable)
    result = ioc(
        ["stack", "up"],
        {
            "IOC_STACK_DIR": str(tmp_path / "stack"),
            "IOC_STACK_CACHE_DIR": str(tmp_path / "cache"),
            "PATH": str(python_only),
        },
    )
    assert_one_line_cause(
        result, "Maven (mvn) is not installed", "install it with `apt-get install -y maven`"
    )


@pytest.mark.integration
def test_service_that_does_not_come_up_shows_its_log(local_stack: object, tmp_path: Path) -> None:
    """A broker whose JVM cannot start (a heap far too small) is reported with its log's last lines.
    Uses the session stack only so that the Kafka jars are already resolved in the cache."""
    assert shutil.which("mvn")
    result = ioc(["stack", "up"], {"IOC_STACK_DIR": str(tmp_path), "IOC_STACK_KAFKA_HEAP": "1k"})
    assert_one_line_cause(result, "kafka exited during start-up", "see its log:")
    assert "heap" in result.stderr.lower()


def test_commands_without_a_stack_say_how_to_start_one(tmp_path: Path) -> None:
    result = ioc(["sql", "SELECT 1"], {"IOC_STACK_DIR": str(tmp_path)})
    assert_one_line_cause(result, "the local stack is not running", "start it with `ioc stack up`")
