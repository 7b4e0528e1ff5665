"""Keeps docker-compose.yml valid and keeps the properties production relies on.

Docker cannot run on these machines, so nothing else would notice a broken stack file until the
day it is deployed. The `compose-spec` package (the Rust `compose_spec` crate) parses the file
against the Compose specification and refuses an invalid one, naming the path and line.

It does not interpolate `${VAR}`, so the test does that itself with the names .env.example lists,
each given a random value, the way `docker compose` would with a filled-in .env. It also accepts a few things Compose itself
would refuse or that would hurt in production (a `depends_on` naming no service, an undeclared
named volume, a service with no image); the checks below cover those.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any

import pytest
import yaml
from compose_spec import PyCompose

from ioc.example_secrets import refuse_example_secrets
from ioc.settings import Settings
from ioc.stack.compose_secrets import render
from ioc.stack.errors import StackError

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"

# `$$` (a literal `$`), `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?message}`,
# `${NAME?message}` and bare `$NAME`: the interpolation forms Compose understands. Applied to the
# whole text, comments too (Compose skips them), so line numbers stay right: keep `$` out of comments.
VARIABLE = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>[A-Za-z_]\w*)"
)
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|KEY", re.IGNORECASE)
GATING_CONDITIONS = {"service_healthy", "service_completed_successfully"}


def read_env_file(path: Path) -> dict[str, str]:
    """`KEY=value` lines of an env file; comments and blank lines are skipped."""
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs if not key.lstrip().startswith("#")}


def filled_env() -> dict[str, str]:
    """.env.example's names, each with a random value, as an operator fills in .env."""
    return {name: secrets.token_urlsafe(24) for name in read_env_file(ENV_EXAMPLE)}


def interpolate(text: str, env: dict[str, str]) -> str:
    """Substitute variables as `docker compose` does; a missing `:?` variable is an error."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg, value = match.group("op"), match.group("arg"), env.get(name)
        if op in (":?", "?") and (value is None or (op == ":?" and value == "")):
            raise ValueError(f"required variable {name} is missing a value: {arg}")
        if op in (":-", "-") and (value is None or (op == ":-" and value == "")):
            return arg
        return value or ""

    return VARIABLE.sub(substitute, text)


def validate(text: str) -> PyCompose:
    """Parse and check references; raises ValueError (with path and line) on an invalid file."""
    compose = PyCompose.from_yaml(text)
    compose.validate()
    return compose


@pytest.fixture(scope="module")
def raw() -> str:
    return COMPOSE_FILE.read_text()


@pytest.fixture(scope="module")
def rendered(raw: str) -> str:
    return interpolate(raw, filled_env())


@pytest.fixture(scope="module")
def spec(rendered: str) -> dict[str, Any]:
    return yaml.safe_load(rendered)


@pytest.fixture(scope="module")
def services(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return spec["services"]


def test_compose_file_is_valid(rendered: str) -> None:
    compose = validate(rendered)
    expected = {"kafka-1", "kafka-2", "kafka-3", "registry", "clickhouse", "grafana"}
    expected |= {"ioc-init", "ioc-schemas", "ioc-db", "ioc-province", "ioc-worker", "ioc-sinks"}
    expected |= {"ioc-gateway", "ioc-router", "mosquitto", "ioc-mqtt-bridge"}
    assert expected <= set(compose.service_names())


def test_missing_secret_stops_compose_with_its_name(raw: str) -> None:
    env = filled_env()
    del env["CLICKHOUSE_WRITER_PASSWORD"]
    with pytest.raises(ValueError, match="CLICKHOUSE_WRITER_PASSWORD.*\\.env"):
        interpolate(raw, env)


def test_env_example_as_shipped_stops_compose() -> None:
    """Its values are empty, so a copy nobody filled in cannot start anything."""
    example = read_env_file(ENV_EXAMPLE)
    assert example and all(value == "" for value in example.values())
    with pytest.raises(ValueError, match="is missing a value"):
        interpolate(COMPOSE_FILE.read_text(), example)


def test_example_secrets_that_reach_the_platform_stop_its_services(
    raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `change-me` value compose accepts reaches the platform's services through x-ioc-env, and
    their start-up check refuses it, naming each setting (the mounted *_FILE secrets are rendered
    randomly by `ioc stack compose-secrets`)."""
    example = {name: f"change-me-{name.lower()}" for name in read_env_file(ENV_EXAMPLE)}
    environment = yaml.safe_load(interpolate(raw, example))["services"]["ioc-worker"]["environment"]
    for name in list(os.environ):
        if name.startswith(("KAFKA_", "SCHEMA_REGISTRY_", "CLICKHOUSE_", "IOC_")):
            monkeypatch.delenv(name)
    for name, value in environment.items():
        if not name.endswith("_FILE"):
            monkeypatch.setenv(name, str(value))
    with pytest.raises(StackError) as raised:
        refuse_example_secrets(Settings())
    assert "IOC_ROUTING_ACK_SECRET" in raised.value.cause
    assert "the password in CLICKHOUSE_URL" in raised.value.cause
    assert "change-me" not in str(raised.value)


def test_no_version_key(spec: dict[str, Any]) -> None:
    """`version` is obsolete in the Compose specification; Compose only warns about it."""
    assert "version" not in spec


def test_ports_are_bound_to_loopback(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for port in service.get("ports", []):
            host_ip = port.get("host_ip") if isinstance(port, dict) else str(port).split(":")[0]
            assert host_ip == "127.0.0.1", f"{name}: port {port!r} is not bound to 127.0.0.1"


def test_depends_on_waits_for_health_or_completion(services: dict[str, dict[str, Any]]) -> None:
    """A bare `depends_on` only orders container starts; it does not wait for readiness."""
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on must name a condition"
        for target, rule in depends_on.items():
            assert target in services, f"{name} depends on unknown service {target}"
            condition = (rule or {}).get("condition")
            assert condition in GATING_CONDITIONS, f"{name} -> {target}: condition {condition!r}"
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{target} has no healthcheck"
            else:
                assert services[target].get("restart") == "no", f"{target} is not a one-shot"


def test_long_running_services_are_health_gated(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if service.get("restart") == "no":
            continue
        waits = [r for r in service.get("depends_on", {}).values() if r["condition"] == "service_healthy"]
        assert "healthcheck" in service or waits, f"{name}: no healthcheck and no healthy dependency"


def test_images_are_pinned(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        image = service.get("image")
        assert image, f"{name} has no image"
        if "@sha256:" in image:
            continue
        last_part = image.rsplit("/", 1)[-1]
        assert ":" in last_part, f"{name}: image {image} has no tag"
        assert last_part.rsplit(":", 1)[1] not in ("", "latest"), f"{name}: image {image} is not pinned"


def test_secrets_fail_loudly_and_are_documented(raw: str) -> None:
    """Every secret must be `${NAME:?message}`: an empty password would otherwise start silently."""
    documented = read_env_file(ENV_EXAMPLE)
    for match in VARIABLE.finditer(raw):
        name = match.group("name") or match.group("bare")
        if name is None:
            continue
        assert name in documented, f"${{{name}}} is not listed in .env.example"
        if SECRET_NAME.search(name):
            assert match.group("op") == ":?" and match.group("arg").strip(), (
                f"{match.group(0)} needs :?message"
            )


def test_volumes_are_declared_and_bind_sources_exist(
    spec: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    """The validator accepts undeclared named volumes; a typo'd bind source would mount an empty folder."""
    declared = set(spec.get("volumes") or {})
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume["source"] if isinstance(volume, dict) else volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name}: bind source {source} does not exist"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"


def test_services_get_the_secrets_their_config_files_read(services: dict[str, dict[str, Any]]) -> None:
    """ClickHouse users read passwords `from_env`, Grafana provisioning reads `$__env{...}`."""
    users = (ROOT / "sinks/clickhouse/users.d/ioc-users.xml").read_text()
    for variable in re.findall(r'from_env="(\w+)"', users):
        assert variable in services["clickhouse"]["environment"], f"clickhouse lacks {variable}"
    datasource = (ROOT / "grafana/provisioning/datasources/clickhouse.yaml").read_text()
    for variable in re.findall(r"\$__env\{(\w+)\}", datasource):
        assert variable in services["grafana"]["environment"], f"grafana lacks {variable}"


def test_platform_services_share_one_image_and_environment(spec: dict[str, Any]) -> None:
    platform = {name: s for name, s in spec["services"].items() if name.startswith("ioc-")}
    assert {s["image"] for s in platform.values()} == {"ioc-platform:0.1.0"}
    assert all(s["environment"] == spec["x-ioc-env"] for s in platform.values())
    # As many workers as tests/integration/test_scaling.py runs and kills.
    assert platform["ioc-worker"]["deploy"]["replicas"] == 3


def test_the_engine_internal_topics_have_three_copies_on_the_cluster(
    spec: dict[str, Any], tmp_path: Path
) -> None:
    """A worker writes changelogs and partial totals with acks=all; on the three brokers, with
    min.insync.replicas 2, a topic of one copy would refuse every write (Faust's default was one)."""
    from topics.catalog import INTERNAL_TOPICS

    brokers = [name for name in spec["services"] if name.startswith("kafka-")]
    assert len(brokers) == 3
    render(tmp_path)
    for broker in brokers:
        properties = dict(
            line.split("=", 1)
            for line in (tmp_path / f"{broker}.properties").read_text().splitlines()
            if line
        )
        assert properties["min.insync.replicas"] == "2", broker
        assert properties["listeners"].startswith("SASL_SSL://"), broker
    assert INTERNAL_TOPICS and {topic.replication_factor for topic in INTERNAL_TOPICS} == {3}


def test_the_cluster_mounts_every_file_compose_secrets_renders(spec: dict[str, Any], tmp_path: Path) -> None:
    """Brokers, registry and platform services are secured by files `ioc stack compose-secrets`
    writes: each file a secret points at is one it renders, and each `/run/secrets/NAME` that a
    service's command, environment or rendered properties reads is mounted into that service."""
    rendered = {path.relative_to(tmp_path) for path in render(tmp_path)}
    secrets, services = spec["secrets"], spec["services"]
    for name, secret in secrets.items():
        if secret["file"].startswith("./secrets/cluster/"):
            assert Path(secret["file"].removeprefix("./secrets/cluster/")) in rendered, name
    for name, service in services.items():
        text = yaml.safe_dump({k: service.get(k) for k in ("command", "environment", "healthcheck")})
        if name.startswith("kafka-"):
            text += (tmp_path / f"{name}.properties").read_text() + yaml.safe_dump(
                spec["x-kafka-healthcheck"]
            )
        if name == "registry":
            text += (tmp_path / "registry.properties").read_text()
        for needed in re.findall(r"/run/secrets/([\w.-]+?)(?:\"|'|\s|$|\n)", text):
            if needed.startswith("$"):
                continue
            assert needed in service.get("secrets", []) and needed in secrets, f"{name} reads {needed}"
    broker_command = " ".join(services["kafka-2"]["command"])
    assert "kafka_format_args" in broker_command and "kafka-server-start.sh" in broker_command


def _broken_port(spec: dict[str, Any]) -> None:
    spec["services"]["grafana"]["ports"] = ["notaport"]


def _unknown_service_key(spec: dict[str, Any]) -> None:
    spec["services"]["grafana"]["healthcheck_typo"] = {"test": ["CMD", "true"]}


def _unknown_condition(spec: dict[str, Any]) -> None:
    spec["services"]["grafana"]["depends_on"]["clickhouse"]["condition"] = "service_ready"


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (_broken_port, r"services\.grafana\.ports\[0\].*notaport.*line \d+"),
        (_unknown_service_key, r"services\.grafana.*healthcheck_typo.*line \d+"),
        (_unknown_condition, r"services\.grafana\.depends_on\.clickhouse\.condition.*service_ready"),
    ],
)
def test_validator_refuses_a_broken_copy(spec: dict[str, Any], breakage: Any, expected: str) -> None:
    """Proves the validity test can fail, and that the error points at the broken spot."""
    broken = yaml.safe_load(yaml.safe_dump(spec))
    breakage(broken)
    with pytest.raises(ValueError, match=expected):
        validate(yaml.safe_dump(broken, sort_keys=False))


def test_the_image_installs_the_wheel_pyproject_declares_not_a_copy_list() -> None:
    """A hand-kept COPY list once left ingest/, routing/, wall/ and config/ out of the image, which then
    could not start (tests/integration/test_installed.py starts that wheel's commands)."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.findall(r"^COPY (?!--from)(.+)$", dockerfile, re.MULTILINE) == [". ."]
    assert "pip wheel --no-deps --wheel-dir /dist ." in dockerfile
    assert "pip install /dist/*.whl" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", ".env", ".stack"} <= set(ignored)


def test_compose_runs_the_mqtt_bridges_with_tls_a_user_and_the_shipped_routes(spec: dict[str, Any]) -> None:
    """Mosquitto takes no anonymous or plaintext client; the bridges log in as the accounts file's
    bridge user; every file either reads is a secret kept out of git and the image."""
    services, secrets = spec["services"], spec["secrets"]
    bridge = services["ioc-mqtt-bridge"]
    assert bridge["command"] == ["ingest", "mqtt"] and bridge["deploy"]["replicas"] == 2
    assert bridge["depends_on"]["mosquitto"] == {"condition": "service_healthy"}
    mount = next(v for v in bridge["volumes"] if v.startswith("./config/mosquitto/bridge.yaml:"))
    assert mount.split(":")[1] == spec["x-ioc-env"]["IOC_INGEST_MQTT_CONFIG"]

    compose_bridge = yaml.safe_load((ROOT / "config/mosquitto/bridge.yaml").read_text())
    shipped = yaml.safe_load((ROOT / "config/mqtt_bridge.yaml").read_text())
    assert compose_bridge["routes"] == shipped["routes"], "edit config/mosquitto/bridge.yaml's routes too"
    login = compose_bridge["broker"]
    assert login["username"] == yaml.safe_load((ROOT / "config/mqtt_accounts.yaml").read_text())["bridge"]
    for path in (login["tls"]["ca"], login["password_file"]):
        name = path.removeprefix("/run/secrets/")
        assert name in bridge["secrets"] and name in secrets, path
    # The file `ioc ingest mqtt-accounts render --passwords secrets/mqtt/passwords` keeps for the bridge.
    password = secrets[login["password_file"].removeprefix("/run/secrets/")]["file"]
    assert password == f"./secrets/mqtt/passwords/{login['username']}"

    mosquitto = services["mosquitto"]
    conf = (ROOT / "config/mosquitto/mosquitto.conf").read_text()
    assert "allow_anonymous false" in conf and "listener 8883\n" in conf
    for name in re.findall(r"/run/secrets/(\w+)", conf):
        assert name in mosquitto["secrets"] and name in secrets, name
    assert "1883" not in " ".join(mosquitto["ports"])  # TLS only
    for secret in secrets.values():
        assert secret["file"].startswith("./secrets/")  # ignored by git and by the image's build
    assert "secrets/" in (ROOT / ".gitignore").read_text().split()
    assert "secrets" in (ROOT / ".dockerignore").read_text().split()
