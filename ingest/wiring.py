"""Building a gateway from the settings: endpoints, registered schemas, producer, dedup store, and
the API keys read from (and followed on) the shared keys topic.

Schemas are looked up in the registry once, here, never per request: with Apicurio's KafkaSQL
storage, lookups keep answering while the broker is down, but nothing on the hot path should
depend on the registry at all.
"""

from __future__ import annotations

from pathlib import Path

from avro_schemas import load_schema
from ingest.dedup import DedupStore
from ingest.feeds import Feed, build_feeds, with_check
from ingest.gateway import Encoders, Gateway
from ingest.keys import KeyStore
from ingest.producer import DeliveryProducer
from ingest.shared_topics import TopicFollower
from ingest.validation import time_window
from ioc.endpoints import connect, resolve
from ioc.forms import LiveForms
from ioc.forms.checks import FormCheck
from ioc.province import load_province
from ioc.serde import AvroEncoder, registry_client
from ioc.settings import Settings
from topics.catalog import INGEST_KEYS, INGEST_MEMBERS

DAY_S = 86_400.0


def former_keys_file(settings: Settings) -> Path:
    """Where the gateway kept its keys before they moved to the keys topic (for `keys import`)."""
    return settings.stack.dir / "ingest" / "keys.yaml"


def keys_topic(settings: Settings) -> str:
    return INGEST_KEYS.full_name(settings.topic_prefix)


def members_topic(settings: Settings) -> str:
    return INGEST_MEMBERS.full_name(settings.topic_prefix)


def kafka_of(settings: Settings) -> dict[str, str]:
    return resolve(settings, need=("kafka",)).kafka_client()


def follow_keys(settings: Settings) -> tuple[KeyStore, TopicFollower]:
    """Every key on the keys topic now, kept current by the returned (running) follower."""
    keys = KeyStore([])
    follower = TopicFollower(kafka_of(settings), keys_topic(settings), lambda k, v, _ts: keys.apply(k, v))
    return keys, follower.start()


def read_keys(settings: Settings) -> KeyStore:
    """Every key on the keys topic now (for the `keys` commands)."""
    keys = KeyStore([])
    follower = TopicFollower(kafka_of(settings), keys_topic(settings), lambda k, v, _ts: keys.apply(k, v))
    try:
        follower.catch_up()
    finally:
        follower.stop()
    return keys


def dedup_path(settings: Settings) -> Path:
    """The memory of stored event ids, beside the keys unless configured elsewhere."""
    return settings.ingest.dedup_file or settings.stack.dir / "ingest" / "dedup.sqlite3"


def dedup_retention_s(settings: Settings) -> float:
    """Remember ids one day longer than the oldest event time accepted: a resend is a duplicate or too old."""
    return (settings.ingest.max_age_days + 1) * DAY_S


REPORT_VALUES = "department.report-values"


def gateway_feeds(settings: Settings) -> dict[str, Feed]:
    """Every input feed, report values also judged against the report forms (reloaded when their
    files change; a broken folder at start stops the gateway, later the last good forms stay)."""
    forms = LiveForms(settings.forms_dir, load_province(settings.province_file), settings.forms_reload_s)
    return with_check(build_feeds(), REPORT_VALUES, FormCheck(forms.current))


def connect_gateway(settings: Settings) -> Gateway:
    """A gateway on the configured (or local) Kafka and registry."""
    endpoints = connect(settings)
    client = registry_client(endpoints)
    prefix = settings.topic_prefix
    feeds = gateway_feeds(settings)
    feed_encoders = {
        name: AvroEncoder.for_subject(client, feed.spec.subject(prefix), feed.envelope_schema)
        for name, feed in feeds.items()
    }
    dead_letter_encoders = {}
    for feed in feeds.values():
        if feed.family not in dead_letter_encoders:
            dlq = feed.dead_letters
            dead_letter_encoders[feed.family] = AvroEncoder.for_subject(
                client, dlq.subject(prefix), load_schema(dlq.schema)
            )
    ingest = settings.ingest
    return Gateway(
        feeds,
        Encoders(feed_encoders, dead_letter_encoders),
        DeliveryProducer(endpoints.kafka_client(), ingest.delivery_timeout_s),
        DedupStore(dedup_path(settings), dedup_retention_s(settings)),
        time_window(ingest.max_future_s, ingest.max_age_days),
        retry_after_s=ingest.retry_after_s,
        topic_prefix=prefix,
    )
