"""Changing the shared API keys: what `ioc ingest keys add|revoke|import` and `ioc run` do.

Each change reads the keys topic to its end (so an id is checked against every key there is),
changes the entries in memory through `KeyStore` (the one place that knows what an entry is), then
writes the changed entries to the topic and waits for the broker. Every gateway instance following
the topic applies the change within a poll. Two operators adding the same id at the same instant
could both pass the check; the later write wins, and the loser's secret is then unknown.
"""

from __future__ import annotations

from pathlib import Path

from ingest.keys import ApiKey, KeyStore, entry_value, revocation_value
from ingest.shared_topics import publish
from ingest.wiring import kafka_of, keys_topic, read_keys
from ioc.settings import Settings


def add_key(
    settings: Settings,
    key_id: str,
    feeds: list[str],
    sources: list[str],
    *,
    sandbox: bool = False,
    rate_per_s: float | None = None,
) -> str:
    """Create a key on the topic; returns its secret (shown once). ConfigError when the id is taken."""
    store = read_keys(settings)
    secret = store.add(key_id, feeds, sources, sandbox=sandbox, rate_per_s=rate_per_s)
    publish(kafka_of(settings), keys_topic(settings), [(key_id, entry_value(store.by_id[key_id]))])
    return secret


def revoke_key(settings: Settings, key_id: str) -> None:
    """Revoke a key on the topic. ConfigError when there is no such key."""
    revocation = read_keys(settings).revoke(key_id)
    publish(kafka_of(settings), keys_topic(settings), [(key_id, revocation_value(revocation))])


def import_keys(settings: Settings, path: Path) -> tuple[list[ApiKey], list[ApiKey]]:
    """Copy a former keys file's entries to the topic: (imported, skipped because the id is taken)."""
    found = list(KeyStore.load(path).by_id.values())
    present = read_keys(settings).by_id
    new = [key for key in found if key.key_id not in present]
    publish(kafka_of(settings), keys_topic(settings), [(key.key_id, entry_value(key)) for key in new])
    return new, [key for key in found if key.key_id in present]
