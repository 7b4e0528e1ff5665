"""The start-up check refuses the repository's example secrets, names the setting, never shows the value.

Settings are built from the environment each test sets (monkeypatch), the way a service builds them,
after clearing every variable the platform reads so that the machine's own cannot leak in.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from ioc.endpoints import connect
from ioc.example_secrets import EXAMPLE_VALUES, is_example, refuse_example_secrets, secret_settings
from ioc.settings import Settings
from ioc.stack.errors import StackError

ROOT = Path(__file__).resolve().parents[2]
# Every value the repository's example files have shipped: .env.example's former passwords.
FORMER_ENV_EXAMPLE = [
    "change-me-writer",
    "change-me-grafana",
    "change-me-analyst",
    "change-me-admin",
    "change-me-ack-links",
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("KAFKA_", "SCHEMA_REGISTRY_", "CLICKHOUSE_", "IOC_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("IOC_STACK_DIR", str(tmp_path / "stack"))


def env_example_values() -> dict[str, str]:
    """The `NAME=value` lines of .env.example as shipped."""
    lines = (ROOT / ".env.example").read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if "=" in line and not line.lstrip().startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs}


def refusal(settings: Settings) -> StackError:
    with pytest.raises(StackError) as raised:
        refuse_example_secrets(settings)
    return raised.value


@pytest.mark.parametrize(
    "value", [*FORMER_ENV_EXAMPLE, *sorted(EXAMPLE_VALUES), "CHANGEME", "please_change_me"]
)
def test_every_example_value_is_refused(value: str) -> None:
    assert is_example(value)


def test_every_value_env_example_ships_is_empty_or_refused() -> None:
    """One source of truth: whatever .env.example holds, compose (empty) or the check refuses it."""
    values = env_example_values()
    assert values, ".env.example lists no settings"
    for name, value in values.items():
        assert value == "" or is_example(value), f"{name} in .env.example would be accepted"


def test_a_random_secret_passes() -> None:
    assert not is_example(secrets.token_urlsafe(24))


@pytest.mark.parametrize(
    "variable",
    [
        "IOC_ROUTING_ACK_SECRET",
        "IOC_WAREHOUSE_IOC_WRITER_PASSWORD",
        "KAFKA_SASL_PASSWORD",
        "IOC_INGEST_MQTT_PASSWORD",
        "IOC_GRAFANA_TOKEN",
    ],
)
def test_an_example_secret_in_the_environment_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "change-me-ack-links")
    error = refusal(Settings())
    assert f"{variable} holds an example value" in error.cause
    assert "example-secret check" in error.cause
    assert "change-me" not in str(error)


def test_the_password_in_clickhouse_url_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compose builds CLICKHOUSE_URL from CLICKHOUSE_WRITER_PASSWORD: the URL itself is never shown."""
    monkeypatch.setenv("CLICKHOUSE_URL", "http://ioc_writer:change-me-writer@clickhouse:8123/ioc")
    error = refusal(Settings())
    assert "the password in CLICKHOUSE_URL" in error.cause
    assert "change-me" not in str(error) and "clickhouse:8123" not in str(error)


def test_an_example_secret_in_a_secret_file_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A mounted secret wins over the variable, so it is the file's content that is checked."""
    secret_file = tmp_path / "registry_password"
    secret_file.write_text("change-me-admin\n")
    monkeypatch.setenv("SCHEMA_REGISTRY_PASSWORD", secrets.token_urlsafe(24))
    monkeypatch.setenv("SCHEMA_REGISTRY_PASSWORD_FILE", str(secret_file))
    error = refusal(Settings())
    assert f"SCHEMA_REGISTRY_PASSWORD_FILE ({secret_file}) holds an example value" in error.cause
    assert "change-me" not in str(error)


def test_every_refused_setting_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOC_ROUTING_ACK_SECRET", "change-me-ack-links")
    monkeypatch.setenv("IOC_ROUTING_SMTP_PASSWORD", "foo")
    error = refusal(Settings())
    assert "IOC_ROUTING_ACK_SECRET" in error.cause and "IOC_ROUTING_SMTP_PASSWORD" in error.cause
    assert error.hint


def test_random_secrets_from_the_environment_and_files_pass(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret_file = tmp_path / "kafka_password"
    secret_file.write_text(secrets.token_urlsafe(24))
    monkeypatch.setenv("KAFKA_SASL_PASSWORD_FILE", str(secret_file))
    monkeypatch.setenv("IOC_ROUTING_ACK_SECRET", secrets.token_urlsafe(24))
    monkeypatch.setenv("CLICKHOUSE_URL", f"http://ioc_writer:{secrets.token_urlsafe(24)}@clickhouse:8123/ioc")
    settings = Settings()
    assert [name for name, _ in secret_settings(settings)] == [
        f"KAFKA_SASL_PASSWORD_FILE ({secret_file})",
        "IOC_ROUTING_ACK_SECRET",
        "the password in CLICKHOUSE_URL",
    ]
    refuse_example_secrets(settings)


def test_the_local_stack_sets_no_secret_to_check() -> None:
    """The local stack's secrets are generated into its folder, never read from settings: nothing to refuse."""
    assert secret_settings(Settings()) == []
    refuse_example_secrets(Settings())


def test_a_service_stops_at_connect_before_reaching_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    """connect() is every long-running service's start: the refusal comes before any address is needed."""
    monkeypatch.setenv("IOC_ROUTING_ACK_SECRET", "change-me-ack-links")
    with pytest.raises(StackError, match="IOC_ROUTING_ACK_SECRET holds an example value"):
        connect(Settings())
