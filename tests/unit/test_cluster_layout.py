"""The local cluster's layout, without starting it: node names, where clients find them, how many
copies topics keep, and a stack that refuses to change its size (tests/integration/test_cluster.py
runs the cluster itself)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from ioc.endpoints import local_urls, write_state
from ioc.settings import Settings, StackSettings
from ioc.stack.errors import StackError
from ioc.stack.manager import LocalStack, kafka_names
from ioc.stack.services import kafka_cluster_id
from topics.catalog import CAMERA_VEHICLE_COUNTS, replication


def test_a_cluster_has_a_named_service_per_node_and_one_broker_keeps_its_old_name() -> None:
    assert kafka_names(1) == ["kafka"]
    assert kafka_names(3) == ["kafka", "kafka-2", "kafka-3"]


def test_clients_are_given_every_node_in_node_order() -> None:
    state: dict[str, dict[str, object]] = {
        "kafka-3": {"port": 9303},
        "kafka": {"port": 9101},
        "kafka-2": {"port": 9202},
    }
    assert local_urls(state)["kafka"] == "127.0.0.1:9101,127.0.0.1:9202,127.0.0.1:9303"


@pytest.mark.parametrize(("brokers", "expected"), [(1, (1, 1)), (2, (2, 2)), (3, (3, 2)), (5, (3, 2))])
def test_topics_keep_three_copies_and_acknowledge_with_two_where_the_brokers_allow(
    brokers: int, expected: tuple[int, int]
) -> None:
    assert replication(brokers) == expected
    copies = CAMERA_VEHICLE_COUNTS.copies(brokers)
    assert (copies, CAMERA_VEHICLE_COUNTS.config(copies)["min.insync.replicas"]) == (
        expected[0],
        str(expected[1]),
    )


def test_a_stack_made_with_three_brokers_refuses_to_start_as_one(tmp_path: Path) -> None:
    """Its nodes' storage was formatted for a quorum of three: one node alone would never be ready."""
    write_state(tmp_path, {"kafka": {"port": 9101, "pid": 0, "brokers": 3}})
    stack = LocalStack(Settings(stack=StackSettings(dir=tmp_path, brokers=1)), lambda message: None)

    with pytest.raises(StackError) as refused:
        stack.up()
    assert "made with 3 Kafka broker(s), not 1" in refused.value.cause
    assert "--brokers 3" in refused.value.hint


def test_a_stack_from_before_clusters_counts_as_one_broker(tmp_path: Path) -> None:
    write_state(tmp_path, {"kafka": {"port": 9101, "pid": 0}})
    stack = LocalStack(Settings(stack=StackSettings(dir=tmp_path, brokers=3)), lambda message: None)

    assert stack.services() == ["kafka", "registry", "warehouse"]
    with pytest.raises(StackError, match="made with 1 Kafka broker"):
        stack.up()


def test_a_cluster_id_never_looks_like_an_option_to_the_storage_tool() -> None:
    """One random id in 64 started with '-', and `kafka-storage format -t -…` refused it as a missing
    argument (CI's chaos run failed so); ids are drawn again like Kafka's own, and passed as
    `--cluster-id=…` besides."""
    ids = [kafka_cluster_id() for _ in range(2000)]
    assert not [i for i in ids if i.startswith("-")]
    assert all(len(base64.urlsafe_b64decode(i + "==")) == 16 for i in ids)
