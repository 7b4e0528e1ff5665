"""The MQTT broker's station accounts (ingest/mqtt_accounts.py) and the bridge's login settings. The
broker's own verdicts are tests/integration/test_ingest_mqtt_auth.py; compose's use of them,
tests/unit/test_compose.py."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from pydantic import SecretStr

from config import CONFIG_DIR
from ingest.errors import ConfigError
from ingest.feeds import build_feeds
from ingest.mqtt_accounts import (
    Accounts,
    Station,
    acl_lines,
    hash_password,
    load_accounts,
    render,
    verify_password,
)
from ingest.mqtt_bridge import Route, load_config, load_routes

FEEDS = set(build_feeds())
AIR = Route("ioc/sensors/+/air-quality", "sensor.air-quality", source_level=2)
RAIN = Route("ioc/sensors/+/rainfall", "sensor.rainfall", source_level=2)
FIXED = Route("vendor/x/weather", "sensor.weather", source_id="VENDOR-X")
ACCOUNTS = Accounts("ioc-bridge", (Station("gw-1", ("AQ-001", "AQ-002")), Station("gw-x", ("VENDOR-X",))))


def test_the_password_hash_is_mosquitto_2_format_and_verifies() -> None:
    hashed = hash_password("s3cret pass")
    assert re.fullmatch(r"\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==", hashed)
    assert verify_password(hashed, "s3cret pass")
    assert not verify_password(hashed, "s3cret pasS")
    assert hash_password("a") != hash_password("a")  # a fresh salt each time


@pytest.mark.skipif(shutil.which("mosquitto_passwd") is None, reason="Mosquitto's tools are not installed")
def test_the_hash_is_the_one_mosquitto_passwd_writes(tmp_path: Path) -> None:
    """Both ways: ours verifies what mosquitto_passwd wrote, and the same salt gives its exact line."""
    passwd = tmp_path / "passwd"
    passwd.touch()
    subprocess.run(["mosquitto_passwd", "-b", str(passwd), "gw-1", "s3cret"], check=True)
    username, theirs = passwd.read_text().strip().split(":", 1)
    assert username == "gw-1" and verify_password(theirs, "s3cret")
    salt = __import__("base64").b64decode(theirs.split("$")[3])
    assert hash_password("s3cret", salt) == theirs


def test_acl_lets_the_bridge_read_and_each_station_write_only_its_sources() -> None:
    lines = acl_lines(ACCOUNTS, (AIR, RAIN, FIXED))
    text = "\n".join(lines)
    assert (
        "user ioc-bridge\ntopic read ioc/sensors/+/air-quality\ntopic read ioc/sensors/+/rainfall\n" in text
    )
    assert "topic read vendor/x/weather" in text
    gw1 = text.split("user gw-1\n")[1].split("\n\n")[0].splitlines()
    assert gw1 == [
        "topic write ioc/sensors/AQ-001/air-quality",
        "topic write ioc/sensors/AQ-001/rainfall",
        "topic write ioc/sensors/AQ-002/air-quality",
        "topic write ioc/sensors/AQ-002/rainfall",
    ]
    gwx = text.split("user gw-x\n")[1].split("\n\n")[0].splitlines()
    assert gwx == [
        "topic write ioc/sensors/VENDOR-X/air-quality",
        "topic write ioc/sensors/VENDOR-X/rainfall",
        "topic write vendor/x/weather",  # the fixed-source route, since VENDOR-X is its source
    ]
    # Nothing but user and topic lines: no `pattern` (all users) and no wildcard in a station's rule.
    rules = [line for line in lines if line and not line.startswith("#")]
    assert all(line.startswith(("user ", "topic read ", "topic write ")) for line in rules)
    assert not any("+" in line or "#" in line for line in rules if line.startswith("topic write"))


def test_a_route_whose_source_level_is_not_a_wildcard_cannot_be_bound() -> None:
    route = Route("ioc/#", "sensor.rainfall", source_level=2)
    with pytest.raises(ConfigError, match=r"ioc/#.*'\+' level"):
        acl_lines(ACCOUNTS, (route,))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stations: {}\n", "'bridge'"),
        ("bridge: ioc-bridge\nstations: {gw-1: {}}\n", r"stations\.gw-1: field 'sources'"),
        ("bridge: ioc-bridge\nstations: {gw-1: {sources: ['AQ-*']}}\n", "exact ids"),
        ("bridge: ioc-bridge\nstations: {gw-1: {sources: ['a/b']}}\n", "source id 'a/b'"),
        ("bridge: ioc-bridge\nstations: {'gw 1': {sources: [A]}}\n", r"stations\.gw 1"),
        ("bridge: ioc-bridge\nstations: {ioc-bridge: {sources: [A]}}\n", "not the bridge's"),
    ],
)
def test_a_broken_accounts_file_names_the_user_and_field(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=expected):
        load_accounts(path)


def test_render_writes_private_files_and_keeps_existing_passwords(tmp_path: Path) -> None:
    passwords = tmp_path / "passwords"
    passwords.mkdir()
    (passwords / "gw-1").write_text("kept-password\n")
    rendered = render(ACCOUNTS, (AIR,), passwords, tmp_path / "out")
    assert rendered.created == (passwords / "ioc-bridge", passwords / "gw-x")
    for path in (rendered.password_file, rendered.acl_file, *rendered.created):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    entries = dict(line.split(":", 1) for line in rendered.password_file.read_text().splitlines())
    assert list(entries) == ["ioc-bridge", "gw-1", "gw-x"]
    assert verify_password(entries["gw-1"], "kept-password")
    made = (passwords / "gw-x").read_text().strip()
    assert len(made) >= 32 and verify_password(entries["gw-x"], made)
    for secret in ("kept-password", made):
        assert secret not in rendered.password_file.read_text() + rendered.acl_file.read_text()
    # Rendering again reuses every password (stations keep working) with fresh salts.
    again = render(ACCOUNTS, (AIR,), passwords, tmp_path / "out")
    assert again.created == ()
    assert verify_password(again.password_file.read_text().splitlines()[2].split(":", 1)[1], made)


def test_the_shipped_accounts_bind_each_gateway_to_its_own_sources(tmp_path: Path) -> None:
    accounts = load_accounts(CONFIG_DIR / "mqtt_accounts.yaml")
    routes = load_routes(CONFIG_DIR / "mqtt_bridge.yaml", FEEDS)
    text = "\n".join(acl_lines(accounts, routes))
    assert "user gw-air-quality\ntopic write ioc/sensors/SENSOR-GW-AIR-QUALITY/air-quality\n" in text
    assert "SENSOR-GW-WATER-LEVEL" not in text.split("user gw-air-quality")[1].split("\n\n")[0]


def bridge_yaml(tmp_path: Path, broker: str) -> Path:
    path = tmp_path / "bridge.yaml"
    path.write_text(
        f"broker: {broker}\nroutes: [{{topic: 'a/+/b', feed: sensor.rainfall, source_level: 1}}]\n"
    )
    return path


def test_the_bridge_password_comes_from_the_environment_or_a_file_never_the_yaml(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("CA")
    (tmp_path / "bridge.password").write_text("from-the-file\n")
    path = bridge_yaml(
        tmp_path, "{port: 8883, tls: {ca: ca.pem}, username: ioc-bridge, password_file: bridge.password}"
    )
    config = load_config(path, FEEDS)
    assert config.url == "mqtts://127.0.0.1:8883" and config.tls_ca == tmp_path / "ca.pem"
    assert config.password.get_secret_value() == "from-the-file"
    assert "from-the-file" not in repr(config)
    from_env = load_config(path, FEEDS, SecretStr("from-the-env"))
    assert from_env.password.get_secret_value() == "from-the-env"
    assert load_config(path, FEEDS, SecretStr("")).password.get_secret_value() == "from-the-file"


@pytest.mark.parametrize(
    ("broker", "expected"),
    [
        ("{username: ioc-bridge}", "needs a password: IOC_INGEST_MQTT_PASSWORD or a file"),
        ("{username: ioc-bridge, password_file: nowhere}", "broker.password_file: no file .*nowhere"),
        ("{tls: {ca: nowhere.pem}}", "broker.tls.ca: no file .*nowhere.pem"),
        ("{tls: yes}", r"'broker.tls' must be \{ca: "),
    ],
)
def test_a_broken_login_is_a_config_error_naming_the_field(
    tmp_path: Path, broker: str, expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_config(bridge_yaml(tmp_path, broker), FEEDS)


def test_no_login_stays_an_anonymous_plaintext_bridge(tmp_path: Path) -> None:
    config = load_config(bridge_yaml(tmp_path, "{port: 1883}"), FEEDS)
    assert (config.url, config.username, config.tls_ca) == ("mqtt://127.0.0.1:1883", "", None)


def test_the_render_command_names_the_files_and_never_prints_a_password(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ioc.cli import app

    args = ["ingest", "mqtt-accounts", "render", "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, [*args, "--passwords", str(tmp_path / "pw")])
    assert result.exit_code == 0, result.output
    made = sorted(p.name for p in (tmp_path / "pw").iterdir())
    assert made == sorted(load_accounts(CONFIG_DIR / "mqtt_accounts.yaml").usernames)
    assert "password_file" in result.output and "acl_file" in result.output
    for user in made:
        assert (tmp_path / "pw" / user).read_text().strip() not in result.output

    broken = tmp_path / "broken.yaml"
    broken.write_text("bridge: ioc-bridge\nstations: {gw-1: {sources: ['AQ-*']}}\n")
    result = CliRunner().invoke(app, [*args, "--passwords", str(tmp_path / "pw"), "--accounts", str(broken)])
    assert result.exit_code == 2 and "error:" in result.output and "exact ids" in result.output
