"""API keys: stored hashed, scoped to feeds and source ids, changed by the keys topic's records, and
a former keys file (for `ioc ingest keys import`) that says what is wrong."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.errors import ConfigError
from ingest.keys import ApiKey, KeyStore, entry_value, hash_key, new_secret, revocation_value


def test_a_new_key_is_published_only_as_its_hash_and_found_again() -> None:
    store = KeyStore([])
    secret = store.add("vms-a", ["camera.*"], ["VMS-A-*"], rate_per_s=5)
    value = entry_value(store.by_id["vms-a"])
    assert secret.encode() not in value
    assert hash_key(secret).encode() in value
    follower = KeyStore([])  # another gateway instance, reading the keys topic
    follower.apply("vms-a", value)
    key = follower.identify(secret)
    assert key is not None and key.key_id == "vms-a" and key.rate_per_s == 5
    assert follower.identify(secret + "x") is None


def test_scope_allows_listed_feeds_and_sources_only(tmp_path: Path) -> None:
    store = KeyStore([])
    secret = store.add("aq", ["sensor.air-quality", "sensor.weather"], ["AQ-HUB"])
    key = store.identify(secret)
    assert key is not None
    assert key.allows_feed("sensor.air-quality") and not key.allows_feed("sensor.water-level")
    assert key.allows_source("AQ-HUB") and not key.allows_source("AQ-HUB-2")


def test_revoked_keys_are_no_longer_found_and_their_callers_are_told_why() -> None:
    store = KeyStore([])
    secret = store.add("k", ["*"], ["*"])
    revocation = store.revoke("k", datetime(2026, 12, 3, 8, 0, tzinfo=UTC))
    assert store.identify(secret) is None
    follower = KeyStore([])
    follower.apply("k", entry_value(_key(secret)))
    follower.apply("k", revocation_value(revocation))
    for keys in (store, follower):
        assert keys.identify(secret) is None
        revoked = keys.revocation(secret)
        assert revoked is not None and (revoked.key_id, revoked.revoked_at) == (
            "k",
            "2026-12-03T08:00:00+00:00",
        )
    assert "k" not in follower.by_id


def test_a_key_id_revoked_then_added_again_gets_its_new_secret_only() -> None:
    store = KeyStore([])
    old = store.add("k", ["*"], ["*"])
    store.revoke("k")
    new = store.add("k", ["*"], ["*"])
    assert store.identify(new) is not None
    assert store.identify(old) is None and store.revocation(old) is None  # unknown now, not revoked


def test_a_tombstone_forgets_the_id() -> None:
    store = KeyStore([])
    secret = store.add("k", ["*"], ["*"])
    store.apply("k", None)
    assert store.identify(secret) is None and store.revocation(secret) is None and not store.by_id


def test_a_broken_topic_entry_is_refused_naming_the_key() -> None:
    with pytest.raises(ConfigError, match="keys topic \\(k\\).*sha256"):
        KeyStore([]).apply("k", b'{"id": "k", "sha256": "abc", "feeds": ["*"], "sources": ["*"]}')


def _key(secret: str) -> ApiKey:
    return ApiKey("k", hash_key(secret), ("*",), ("*",))


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ("{id: a, sha256: abc, feeds: ['*'], sources: ['*']}", "'sha256' must be 64"),
        (f"{{id: a, sha256: {'a' * 64}, feeds: [], sources: ['*']}}", "'feeds' must be a non-empty list"),
        (f"{{id: a, sha256: {'a' * 64}, feeds: ['*'], sources: ['*'], scope: x}}", "unknown field 'scope'"),
    ],
)
def test_a_broken_keys_file_names_the_entry_and_field(tmp_path: Path, entry: str, complaint: str) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(f"keys:\n  - {entry}\n")
    with pytest.raises(ConfigError, match="keys\\[0\\]") as raised:
        KeyStore.load(path)
    assert complaint in str(raised.value)


EXAMPLE_KEYS = Path(__file__).resolve().parents[2] / "config" / "ingest_keys.example.yaml"


def test_the_example_keys_file_authorises_nobody() -> None:
    """Its hashes are placeholders: loading it is refused, naming the first entry and why."""
    with pytest.raises(
        ConfigError, match="keys\\[0\\] \\(vms-vendor-a\\): field 'sha256' is the example file's placeholder"
    ):
        KeyStore.load(EXAMPLE_KEYS)


def test_the_example_keys_file_holds_no_hash_of_a_guessable_string() -> None:
    text = EXAMPLE_KEYS.read_text()
    assert not re.search(r"\b[0-9a-f]{64}\b", text)
    for guess in ("password", "foo", "bar", "secret", "", "example"):
        assert hash_key(guess) not in text


def test_the_example_keys_file_is_valid_once_its_hashes_are_real(tmp_path: Path) -> None:
    """Apart from the placeholders, the example shows the format `keys import` takes."""
    filled = tmp_path / "keys.yaml"
    filled.write_text(
        re.sub(
            "example-placeholder-not-a-key-hash", lambda _: hash_key(new_secret()), EXAMPLE_KEYS.read_text()
        )
    )
    assert set(KeyStore.load(filled).by_id) == {"vms-vendor-a", "so-tnmt", "vendor-b-sandbox"}
