"""Station gateway accounts of the MQTT broker, rendered as Mosquitto's own password and ACL files.

The HTTP door checks each API key's source ids; MQTT has no such check in the bridge, since the
bridge reads the source id from the topic. So the broker does it: every station gateway logs in with
a user of its own, and the ACL lets that user write only to the route topics whose source level is
one of its source ids (`ioc/sensors/<source>/air-quality`). A publish to another station's topic is
refused by Mosquitto (an MQTT 5 client at QoS 1 gets PUBACK "Not authorized") and never reaches the
bridge. The bridge's own user may only read the routes' topics. The ACL is derived from the bridge's
routes, so the level the bridge takes the source id from and the level the broker checks are one.

Passwords are read from one file per user (`<passwords dir>/<user>`, made 0600 with a random
password when missing) and written only as Mosquitto 2's PBKDF2-SHA512 hash (`$7$`, as
`mosquitto_passwd` writes it); they are never printed or logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml

from ingest.errors import ConfigError
from ingest.mqtt_bridge import Route
from ioc.stack.certs import write_private

# Mosquitto 2's defaults (mosquitto_passwd): 101 rounds, a 12-byte salt, the full 64-byte digest.
ITERATIONS = 101
SALT_BYTES = 12
# Names and ids go into line-based files and MQTT topic levels: no separators, spaces or wildcards.
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
SOURCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


@dataclass(frozen=True)
class Station:
    """One station gateway's MQTT user and the source ids it may publish as."""

    username: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Accounts:
    """The bridge's user and every station gateway's."""

    bridge: str
    stations: tuple[Station, ...]

    @property
    def usernames(self) -> tuple[str, ...]:
        return (self.bridge, *(station.username for station in self.stations))


@dataclass(frozen=True)
class Rendered:
    """What `render` wrote, and which users got a new random password (their file, never its text)."""

    password_file: Path
    acl_file: Path
    created: tuple[Path, ...]


def load_accounts(path: Path) -> Accounts:
    """The accounts file, each error naming the file, user and field."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    bridge = data.get("bridge")
    if not isinstance(bridge, str) or not USERNAME.fullmatch(bridge):
        raise ConfigError(f"{path}: field 'bridge' must be the bridge's user name ({USERNAME.pattern})")
    entries = data.get("stations") or {}
    if not isinstance(entries, dict):
        raise ConfigError(f"{path}: field 'stations' must map each user name to its 'sources'")
    stations = []
    for username, entry in entries.items():
        where = f"{path}: stations.{username}"
        if not isinstance(username, str) or not USERNAME.fullmatch(username) or username == bridge:
            raise ConfigError(f"{where}: a user name ({USERNAME.pattern}), not the bridge's")
        sources = (entry or {}).get("sources") if isinstance(entry, dict | None) else None
        if not isinstance(sources, list) or not sources:
            raise ConfigError(f"{where}: field 'sources' must list the source ids it may send as")
        for source in sources:
            if not isinstance(source, str) or not SOURCE_ID.fullmatch(source):
                raise ConfigError(
                    f"{where}: source id {source!r} must match {SOURCE_ID.pattern} "
                    "(exact ids: a topic level cannot hold a pattern)"
                )
        stations.append(Station(username, tuple(sources)))
    return Accounts(bridge, tuple(stations))


def hash_password(password: str, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """Mosquitto 2's `$7$<rounds>$<salt>$<digest>` (base64), what `mosquitto_passwd` writes."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(hashed: str, password: str) -> bool:
    """Whether `password` matches a `$7$` hash (the check Mosquitto makes at CONNECT)."""
    _, kind, rounds, salt, digest = hashed.split("$")
    if kind != "7":
        return False
    again = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), base64.b64decode(salt), int(rounds))
    return hmac.compare_digest(again, base64.b64decode(digest))


def station_topic(route: Route, source_id: str) -> str | None:
    """The topic of `route` that carries `source_id`; None when the route cannot carry it."""
    if route.source_level is None:
        return route.topic if route.source_id == source_id else None
    levels = route.topic.split("/")
    if route.source_level >= len(levels) or levels[route.source_level] != "+":
        raise ConfigError(
            f"route {route.topic!r}: its source level {route.source_level} must be a '+' level of the "
            "filter, so that the broker can bind it to each station's source ids"
        )
    levels[route.source_level] = source_id
    return "/".join(levels)


def acl_lines(accounts: Accounts, routes: tuple[Route, ...]) -> list[str]:
    """Mosquitto's acl_file: the bridge reads every route; each station writes its own sources' topics.

    Mosquitto denies whatever no line allows, and anonymous clients are refused by the config."""
    lines = ["# Rendered by `ioc ingest mqtt-accounts render`; edit the accounts file instead.", ""]
    lines += [f"user {accounts.bridge}", *(f"topic read {route.topic}" for route in routes), ""]
    for station in accounts.stations:
        topics = [station_topic(route, source) for source in station.sources for route in routes]
        lines += [f"user {station.username}", *(f"topic write {t}" for t in dict.fromkeys(topics) if t), ""]
    return lines


def read_or_create_password(folder: Path, username: str) -> tuple[str, bool]:
    """The user's password from `<folder>/<username>` (one line), made random and 0600 when missing."""
    path = folder / username
    if path.exists():
        password = path.read_text(encoding="utf-8").strip()
        if not password:
            raise ConfigError(f"{path}: the password file of {username} is empty")
        return password, False
    password = secrets.token_urlsafe(24)
    write_private(path, (password + "\n").encode())
    return password, True


def render(accounts: Accounts, routes: tuple[Route, ...], passwords: Path, out: Path) -> Rendered:
    """Write `<out>/passwd` (0600) and `<out>/acl` for Mosquitto's `password_file` and `acl_file`."""
    acl = acl_lines(accounts, routes)  # first: a route that cannot be bound writes nothing
    entries, created = [], []
    for username in accounts.usernames:
        password, new = read_or_create_password(passwords, username)
        entries.append(f"{username}:{hash_password(password)}\n")
        if new:
            created.append(passwords / username)
    rendered = Rendered(out / "passwd", out / "acl", tuple(created))
    write_private(rendered.password_file, "".join(entries).encode())
    # Not secret, but later Mosquitto 2.0 releases warn about a password or ACL file others may read.
    write_private(rendered.acl_file, "\n".join(acl).encode())
    return rendered
