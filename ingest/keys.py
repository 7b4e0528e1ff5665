"""API keys: one per sending system, stored only as SHA-256 hashes, each with its scope.

A key is 32 random bytes (URL-safe text with an `ioc_` prefix), so a plain SHA-256 is enough to
make the stored entries useless to a thief: there is nothing to brute-force, unlike a password. An
entry lists the feeds the key may send (exact names or shell patterns such as `sensor.*`), the
source ids it may send as, and whether it is a sandbox key (validated and answered, never stored).

The entries live on the compacted topic `ioc.internal.ingest.keys` (key: the key id; value: the
entry as JSON), which every gateway instance follows (`ingest/shared_topics.py`): adding or
revoking a key reaches every instance within a second or two, without a restart. A revocation is an
entry of its own (the hash and when), not a deletion, so the gateway can tell a caller that their
key was revoked rather than that it is unknown. A YAML file of entries (`KeyStore.load`) is read
only to import keys (`ioc ingest keys import`) from the gateway's former keys file.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from ingest.errors import ConfigError

KEY_PREFIX = "ioc_"
# How config/ingest_keys.example.yaml's `sha256` fields begin: placeholders that no key matches,
# refused by name so that a copy of the example authorises nobody.
EXAMPLE_HASH_PREFIX = "example-"


@dataclass(frozen=True)
class ApiKey:
    """What one key may do; `key_id` names it in logs and messages, never the secret."""

    key_id: str
    sha256: str
    feeds: tuple[str, ...]
    sources: tuple[str, ...]
    sandbox: bool = False
    rate_per_s: float | None = None
    description: str = field(default="", compare=False)

    def allows_feed(self, feed: str) -> bool:
        return any(fnmatch.fnmatchcase(feed, pattern) for pattern in self.feeds)

    def allows_source(self, source_id: str) -> bool:
        return any(fnmatch.fnmatchcase(source_id, pattern) for pattern in self.sources)

    def as_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": self.key_id,
            "sha256": self.sha256,
            "feeds": list(self.feeds),
            "sources": list(self.sources),
            "sandbox": self.sandbox,
        }
        if self.rate_per_s is not None:
            entry["rate_per_s"] = self.rate_per_s
        if self.description:
            entry["description"] = self.description
        return entry


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    """A fresh key, shown once to the operator who hands it to the integrator."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _strings(entry: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = entry.get(name)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: field {name!r} must be a non-empty list of strings")
    return tuple(value)


def _parse_entry(entry: Any, where: str) -> ApiKey:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping with id, sha256, feeds, sources")
    unknown = sorted(
        set(entry) - {"id", "sha256", "feeds", "sources", "sandbox", "rate_per_s", "description"}
    )
    if unknown:
        raise ConfigError(f"{where}: unknown field {unknown[0]!r}")
    key_id, digest = entry.get("id"), entry.get("sha256")
    if not isinstance(key_id, str) or not key_id:
        raise ConfigError(f"{where}: field 'id' must be a non-empty string")
    if isinstance(digest, str) and digest.startswith(EXAMPLE_HASH_PREFIX):
        raise ConfigError(
            f"{where} ({key_id}): field 'sha256' is the example file's placeholder, which authorises "
            "no key: put the SHA-256 of the key there, or create keys with `ioc ingest keys add`"
        )
    if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ConfigError(f"{where} ({key_id}): field 'sha256' must be 64 lowercase hex digits")
    rate = entry.get("rate_per_s")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float) or rate <= 0):
        raise ConfigError(f"{where} ({key_id}): field 'rate_per_s' must be a positive number")
    return ApiKey(
        key_id=key_id,
        sha256=digest,
        feeds=_strings(entry, "feeds", f"{where} ({key_id})"),
        sources=_strings(entry, "sources", f"{where} ({key_id})"),
        sandbox=bool(entry.get("sandbox", False)),
        rate_per_s=None if rate is None else float(rate),
        description=str(entry.get("description", "")),
    )


@dataclass(frozen=True)
class Revocation:
    """A key that was revoked: its hash is kept so its caller is told so, not "unknown key"."""

    key_id: str
    sha256: str
    revoked_at: str


def entry_value(key: ApiKey) -> bytes:
    """The key's entry as the keys topic holds it."""
    return json.dumps(key.as_entry(), ensure_ascii=False, sort_keys=True).encode("utf-8")


def revocation_value(revocation: Revocation) -> bytes:
    return json.dumps(
        {"id": revocation.key_id, "sha256": revocation.sha256, "revoked_at": revocation.revoked_at},
        sort_keys=True,
    ).encode("utf-8")


class KeyStore:
    """Keys looked up by the hash of the presented secret; kept current from the keys topic by a
    follower thread while requests read it (each change swaps whole entries under a lock)."""

    def __init__(self, keys: list[ApiKey]) -> None:
        self.by_hash = {key.sha256: key for key in keys}
        self.by_id = {key.key_id: key for key in keys}
        self.revoked: dict[str, Revocation] = {}  # by hash
        self._lock = threading.Lock()
        if len(self.by_id) != len(keys):
            raise ConfigError("two keys share one id")

    @classmethod
    def load(cls, path: Path) -> KeyStore:
        """The keys of a YAML file (`keys: [entries]`); a missing file means no key."""
        if not path.exists():
            return cls([])
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        entries = data.get("keys", []) if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise ConfigError(f"{path}: expected a mapping with a list under 'keys'")
        return cls([_parse_entry(entry, f"{path}: keys[{i}]") for i, entry in enumerate(entries)])

    def identify(self, secret: str) -> ApiKey | None:
        """The key whose hash matches, or None."""
        return self.by_hash.get(hash_key(secret))

    def revocation(self, secret: str) -> Revocation | None:
        """When the presented key was revoked, if it was."""
        return self.revoked.get(hash_key(secret))

    def apply(self, key_id: str, value: bytes | None) -> None:
        """One record of the keys topic: an entry, a revocation, or a tombstone (forget the id)."""
        entry = None if value is None else json.loads(value)
        with self._lock:
            old = self.by_id.pop(key_id, None)
            if old is not None:
                self.by_hash.pop(old.sha256, None)
            for digest in [d for d, r in self.revoked.items() if r.key_id == key_id]:
                del self.revoked[digest]
            if entry is None:
                return
            if "revoked_at" in entry:
                self.revoked[entry["sha256"]] = Revocation(key_id, entry["sha256"], entry["revoked_at"])
                return
            key = _parse_entry(entry, f"keys topic ({key_id})")
            self.by_id[key_id] = key
            self.by_hash[key.sha256] = key

    def add(
        self,
        key_id: str,
        feeds: list[str],
        sources: list[str],
        *,
        sandbox: bool = False,
        rate_per_s: float | None = None,
        description: str = "",
    ) -> str:
        """Create a key; returns its secret (the only time it exists in clear)."""
        if key_id in self.by_id:
            raise ConfigError(f"a key with id {key_id!r} already exists; revoke it first")
        secret = new_secret()
        key = _parse_entry(
            {"id": key_id, "sha256": hash_key(secret), "feeds": feeds, "sources": sources, "sandbox": sandbox}
            | ({"rate_per_s": rate_per_s} if rate_per_s is not None else {}),
            f"new key {key_id}",
        )
        key = replace(key, description=description)
        self.apply(key_id, entry_value(key))
        return secret

    def revoke(self, key_id: str, now: datetime | None = None) -> Revocation:
        """Revoke a key; returns the revocation (for the keys topic)."""
        key = self.by_id.get(key_id)
        if key is None:
            raise ConfigError(f"no key with id {key_id!r}")
        at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        revocation = Revocation(key_id, key.sha256, at)
        self.apply(key_id, revocation_value(revocation))
        return revocation
