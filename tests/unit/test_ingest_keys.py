"""API keys: stored hashed, scoped to feeds and source ids, and a keys file that says what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import ConfigError
from ingest.keys import KeyStore, hash_key


def test_a_new_key_is_stored_only_as_its_hash_and_found_again(tmp_path: Path) -> None:
    path = tmp_path / "keys.yaml"
    store = KeyStore([])
    secret = store.add("vms-a", ["camera.*"], ["VMS-A-*"], rate_per_s=5)
    store.save(path)
    text = path.read_text()
    assert secret not in text
    assert hash_key(secret) in text
    assert path.stat().st_mode & 0o077 == 0
    key = KeyStore.load(path).identify(secret)
    assert key is not None and key.key_id == "vms-a" and key.rate_per_s == 5
    assert KeyStore.load(path).identify(secret + "x") is None


def test_scope_allows_listed_feeds_and_sources_only(tmp_path: Path) -> None:
    store = KeyStore([])
    secret = store.add("aq", ["sensor.air-quality", "sensor.weather"], ["AQ-HUB"])
    key = store.identify(secret)
    assert key is not None
    assert key.allows_feed("sensor.air-quality") and not key.allows_feed("sensor.water-level")
    assert key.allows_source("AQ-HUB") and not key.allows_source("AQ-HUB-2")


def test_revoked_keys_are_no_longer_found() -> None:
    store = KeyStore([])
    secret = store.add("k", ["*"], ["*"])
    store.revoke("k")
    assert store.identify(secret) is None


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


def test_the_example_keys_file_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "config" / "ingest_keys.example.yaml"
    assert KeyStore.load(example).by_id
