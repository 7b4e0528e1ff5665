"""The worker's loop: consume, process, commit, exactly once, on a Kafka consumer group.

One consumer reads every source topic of every processor; one transactional producer writes every
output (indicators, late events, dead letters, partials for other partitions, changelogs) and commits
the consumed offsets in the same transaction (`send_offsets_to_transaction`, fenced by the consumer
group's generation). A crash at any moment therefore leaves either the whole effect of a batch or
none of it: after a restart the consumer resumes from the committed offsets and the stores are read
back from changelogs that match them. Nothing is counted twice and nothing is lost, and no output is
ever visible twice to a `read_committed` reader.

A *task* is one processor on one partition number (with the `range` assignor, partition p of every
co-partitioned source topic lands on the same worker). Tasks keep their state in memory and in their
changelogs; a rebalance commits first, and a task that stays on this worker keeps its memory instead
of reading its changelog again.

Restarts are quick because the worker is a static member of its group (`group.instance.id`): a worker
that comes back within `session.timeout.ms` gets its partitions again without a rebalance, and its
transactional id (derived from the same instance id) fences the previous incarnation at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from streams.engine.store import Store, restore

log = logging.getLogger(__name__)
READY = "Worker ready"  # the line tests and operators wait for


class Outputs(Protocol):
    """Where a task sends what it produces; everything sent joins the current transaction."""

    now: int

    def send(self, topic: str, key: bytes | None, value: bytes | None, partition: int | None = None) -> None:
        """Queue one record for `topic` (partition from the key unless given)."""


class Task(Protocol):
    """One processor's work on one partition number."""

    def process(self, topic: str, messages: Sequence[Message], out: Outputs) -> None:
        """Handle messages of one source partition, in offset order."""

    def tick(self, out: Outputs) -> None:
        """Let wall-clock time pass (quiet windows close, silence is noticed)."""

    def flush(self, out: Outputs) -> None:
        """Send what was held back since the last commit (provisional results, partials)."""


class Processor(Protocol):
    """A kind of task: its source topics (co-partitioned), its stores' changelogs, and its tasks."""

    name: str
    sources: tuple[str, ...]
    changelogs: tuple[str, ...]

    def task(self, partition: int, stores: list[Store]) -> Task:
        """A task for one partition, over stores already filled from the changelogs."""


@dataclass(frozen=True)
class RuntimeConfig:
    """How the worker talks to Kafka and paces itself (from `StreamSettings`)."""

    bootstrap: str
    group_id: str
    instance_id: str
    batch_size: int = 200
    poll_timeout_s: float = 0.1
    commit_interval_s: float = 0.2
    tick_interval_s: float = 1.0
    session_timeout_ms: int = 10_000
    transaction_timeout_ms: int = 10_000
    # A commit still in flight after this long will not return (seen after a broker restart:
    # librdkafka's send_offsets_to_transaction blocked for good): the worker exits for its supervisor.
    stuck_commit_s: float = 60.0
    extra: dict[str, Any] = field(default_factory=dict)  # security settings and other client options

    @property
    def transactional_id(self) -> str:
        return f"{self.group_id}-{self.instance_id}"


class _Clock:
    now: int = 0


class _Sender:
    """The `Outputs` the tasks see: produce into the open transaction. While the previous transaction
    is still committing (a round trip the worker does not wait for), what tasks send is held and
    produced into the next transaction as soon as it begins."""

    def __init__(self, producer: Producer, begin: Callable[[], None]) -> None:
        self.producer = producer
        self.begin = begin
        self.now = 0
        self.held: list[tuple[str, bytes | None, bytes | None, int | None]] | None = None

    def send(self, topic: str, key: bytes | None, value: bytes | None, partition: int | None = None) -> None:
        if self.held is not None:
            self.held.append((topic, key, value, partition))
            return
        self.begin()
        self._produce(topic, key, value, partition)

    def release(self) -> None:
        """Stop holding; produce what was held (into a new transaction)."""
        held, self.held = self.held or [], None
        for message in held:
            self.send(*message)

    def _produce(self, topic: str, key: bytes | None, value: bytes | None, partition: int | None) -> None:
        while True:
            try:
                if partition is None:
                    self.producer.produce(topic, value, key)
                else:
                    self.producer.produce(topic, value, key, partition)
                return
            except BufferError:  # the local queue is full: let librdkafka send, then try again
                self.producer.poll(0.05)


class BrokerLog:
    """Says once a minute, not once per message, that the broker cannot be reached."""

    def __init__(self, every_s: float = 60.0) -> None:
        self.every_s = every_s
        self.last = 0.0
        self.suppressed = 0

    def __call__(self, error: KafkaError) -> None:
        if error.fatal():
            log.error("kafka: %s", error)
            return
        now = time.monotonic()
        if now - self.last >= self.every_s:
            more = f" ({self.suppressed} more since)" if self.suppressed else ""
            log.warning("kafka: %s; retrying%s", error, more)
            self.last, self.suppressed = now, 0
        else:
            self.suppressed += 1


class Runtime:
    """Runs processors' tasks for the partitions this worker is assigned, until `stop` is set."""

    def __init__(self, processors: Sequence[Processor], config: RuntimeConfig) -> None:
        self.processors = list(processors)
        self.config = config
        self.by_topic: dict[str, list[Processor]] = defaultdict(list)
        for processor in self.processors:
            for topic in processor.sources:
                self.by_topic[topic].append(processor)
        client = {"bootstrap.servers": config.bootstrap, "error_cb": BrokerLog()} | config.extra
        self.client_config = {"bootstrap.servers": config.bootstrap} | config.extra
        self.consumer = Consumer(
            client
            | {
                "group.id": config.group_id,
                "group.instance.id": config.instance_id,
                "partition.assignment.strategy": "range",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",
                "session.timeout.ms": config.session_timeout_ms,
                "heartbeat.interval.ms": max(500, config.session_timeout_ms // 10),
                "fetch.wait.max.ms": 50,
                # What librdkafka fetches ahead is memory too: enough for several batches, not 64 MB.
                "queued.max.messages.kbytes": 16_384,
            }
        )
        self.producer_config = client | {
            "transactional.id": config.transactional_id,
            "transaction.timeout.ms": config.transaction_timeout_ms,
            "linger.ms": 5,
            # The Java clients' partitioner: a key lands where Kafka Streams or any JVM client puts it.
            "partitioner": "murmur2_random",
            "compression.type": "lz4",
        }
        self.producer = Producer(self.producer_config)
        self.retry_log = BrokerLog()
        self.tasks: dict[tuple[str, int], Task] = {}
        self.stores: dict[tuple[str, int], list[Store]] = {}
        self._suspended: dict[tuple[str, int], tuple[Task, list[Store]]] = {}
        self._offsets: dict[tuple[str, int], int] = {}
        self._in_transaction = False
        self._committing: threading.Thread | None = None
        self._commit_started = 0.0
        self._commit_error: KafkaException | None = None
        self._ready = False
        self.out = _Sender(self.producer, self._begin)

    # --- transactions ------------------------------------------------------------------------

    def _begin(self) -> None:
        if not self._in_transaction:
            self.producer.begin_transaction()
            self._in_transaction = True

    def commit(self, wait: bool = True) -> None:
        """Flush every task and store into the open transaction, then commit it with the offsets.

        With `wait=False` the commit's round trip to the broker runs on a thread while the loop goes
        on consuming and processing; what the tasks send meanwhile is held for the next transaction,
        and the offsets consumed meanwhile belong to it. The next commit (or a rebalance) waits for it."""
        self.settle()
        if not self._in_transaction and not self._offsets:
            return
        self._begin()
        self.out.now = now_ms()
        for task in self.tasks.values():
            task.flush(self.out)
        for stores in self.stores.values():
            for store in stores:
                store.flush(self._send_changelog)
        offsets = [TopicPartition(t, p, o) for (t, p), o in self._offsets.items()]
        self._offsets.clear()
        self.out.held = []
        self._committing = threading.Thread(target=self._commit_transaction, args=(offsets,), daemon=True)
        self._commit_started = time.monotonic()
        self._committing.start()
        if wait:
            self.settle()

    def _commit_transaction(self, offsets: list[TopicPartition]) -> None:
        try:
            if offsets:
                self._retrying(
                    lambda: self.producer.send_offsets_to_transaction(
                        offsets, self.consumer.consumer_group_metadata()
                    )
                )
            self._retrying(self.producer.commit_transaction)
        except KafkaException as exc:
            self._commit_error = exc

    def _retrying(self, call: Callable[[], None]) -> None:
        """`call` again while it fails with a retriable error (a broker restarting, a coordinator
        moving), saying so once a minute; what is not retriable is raised for `_fail`."""
        while True:
            try:
                call()
                return
            except KafkaException as exc:
                if not exc.args[0].retriable():
                    raise
                self.retry_log(exc.args[0])

    def settle(self, block: bool = True) -> bool:
        """Wait for (or, without `block`, look at) the commit in flight; once it is done, release what
        was held into a new transaction, or restart every task if it failed. True when none is in flight."""
        if self._committing is None:
            return True
        self._await_commit(block)
        if self._committing.is_alive():
            return False
        self._committing = None
        self._in_transaction = False
        error, self._commit_error = self._commit_error, None
        if error is not None:
            self.out.held = None
            self._fail(error)
        else:
            self.out.release()
        return True

    def _await_commit(self, block: bool) -> None:
        """Wait (with `block`) for the commit in flight, as long as a commit may take: one still in
        flight after `stuck_commit_s` will not return, and the worker exits for its supervisor."""
        assert self._committing is not None  # noqa: S101 - only called with a commit in flight
        deadline = self._commit_started + self.config.stuck_commit_s
        if block:
            self._committing.join(max(0.0, deadline - time.monotonic()))
        if self._committing.is_alive() and time.monotonic() >= deadline:
            raise SystemExit(
                f"a transaction commit has not returned for {self.config.stuck_commit_s:.0f} s; exiting so "
                "that the supervisor starts the worker again (it resumes exactly from its last commit)"
            )

    def _fail(self, exc: KafkaException) -> None:
        """A transaction that cannot commit is aborted and every task starts again from its changelog
        and the committed offsets.

        A fatal producer error is most often a fence after the broker aborted a transaction that
        outlived its timeout (the worker stalled: an overloaded host, a pause, a long batch): a new
        producer with the same transactional id takes over, as Kafka Streams does. A worker whose
        place another one really took is stopped by its consumer instead (`_dispatch`)."""
        if self._committing is not None:
            self._await_commit(block=True)
            self._committing, self._commit_error = None, None
        error: KafkaError = exc.args[0]
        if error.fatal():
            self._replace_producer(error)
        elif error.txn_requires_abort() or error.code() == KafkaError._STATE:
            # _STATE: a record refused because the transaction had already failed in the background
            # (the broker aborted it while the worker stalled): it is abortable like the others.
            log.warning("transaction aborted (%s): tasks restart from their changelogs", error)
            self._abort()
        else:
            raise exc
        self._in_transaction = False
        self._offsets.clear()
        self.out.held = None
        assignment = self.consumer.assignment()
        self._drop_all()
        self._open(assignment)
        for tp in self.consumer.committed(assignment, timeout=30):
            self.consumer.seek(tp if tp.offset >= 0 else TopicPartition(tp.topic, tp.partition, -2))

    def _abort(self) -> None:
        """Abort the open transaction; a producer the abort finds fenced is replaced, and one with no
        transaction left to abort (_STATE) is ready as it is."""
        try:
            self._retrying(self.producer.abort_transaction)
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            if error.fatal():
                self._replace_producer(error)
            elif error.code() != KafkaError._STATE:
                raise

    def _replace_producer(self, error: KafkaError) -> None:
        log.warning(
            "producer failed (%s), e.g. its transaction timed out while the worker stalled: a new "
            "producer takes over and tasks restart from their changelogs",
            error,
        )
        self.producer = self.out.producer = Producer(self.producer_config)
        self.producer.init_transactions()

    def _send_changelog(self, topic: str, partition: int, key: bytes, value: bytes | None) -> None:
        self.out.send(topic, key, value, partition)

    # --- assignment --------------------------------------------------------------------------

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._open(partitions)
        if not self._ready:
            self._ready = True
            log.info("%s: instance %s, %d tasks", READY, self.config.instance_id, len(self.tasks))

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Before partitions go: commit, and keep the tasks in memory in case they come back."""
        self.commit()
        revoked = {(tp.topic, tp.partition) for tp in partitions}
        for key in list(self.tasks):
            name, partition = key
            processor = next(p for p in self.processors if p.name == name)
            if any((topic, partition) in revoked for topic in processor.sources):
                self._suspended[key] = (self.tasks.pop(key), self.stores.pop(key))

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Partitions taken away without a chance to commit: what was not committed is not ours."""
        self.settle()
        if self._in_transaction:
            self._abort()
            self._in_transaction = False
        self._offsets.clear()
        self._drop_all()

    def _drop_all(self) -> None:
        self.tasks.clear()
        self.stores.clear()
        self._suspended.clear()

    def _open(self, partitions: Sequence[TopicPartition]) -> None:
        """Tasks for the assigned partitions: kept from before a rebalance, or read back from changelogs."""
        wanted = {
            (processor.name, tp.partition): processor
            for tp in partitions
            for processor in self.by_topic.get(tp.topic, [])
        }
        fresh: dict[tuple[str, int], list[Store]] = {}
        for key, processor in wanted.items():
            if key in self.tasks:
                continue
            if key in self._suspended:
                self.tasks[key], self.stores[key] = self._suspended.pop(key)
                continue
            fresh[key] = [Store(topic, key[1]) for topic in processor.changelogs]
        self._suspended.clear()
        started = time.monotonic()
        records = restore([s for stores in fresh.values() for s in stores], self.client_config)
        for key, stores in fresh.items():
            self.tasks[key] = wanted[key].task(key[1], stores)
            self.stores[key] = stores
        if fresh:
            log.info(
                "opened %d tasks, %d changelog records read in %.2f s",
                len(fresh),
                records,
                time.monotonic() - started,
            )

    # --- the loop ----------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Until `stop` is set: consume a batch, hand each partition's messages to its tasks, tick on
        the wall clock, and commit at the commit interval. Ends with a last commit."""
        self.producer.init_transactions()
        self.consumer.subscribe(
            sorted(self.by_topic), on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_lost
        )
        next_commit = next_tick = time.monotonic()
        try:
            while not stop.is_set():
                messages = self.consumer.consume(self.config.batch_size, self.config.poll_timeout_s)
                self.out.now = now_ms()
                try:
                    if messages:
                        self._dispatch(messages)
                    clock = time.monotonic()
                    if clock >= next_tick and self.tasks:
                        for task in self.tasks.values():
                            task.tick(self.out)
                        next_tick = clock + self.config.tick_interval_s
                    if clock >= next_commit and self.settle(block=False):
                        self.commit(wait=False)
                        next_commit = time.monotonic() + self.config.commit_interval_s
                except KafkaException as exc:  # a transaction that cannot go on (begin, produce, commit)
                    self._fail(exc)
            self.commit()
        finally:
            self.consumer.close()
            self.producer.flush(10)

    def _dispatch(self, messages: list[Message]) -> None:
        by_partition: dict[tuple[str, int], list[Message]] = defaultdict(list)
        for message in messages:
            error = message.error()
            if error is not None:
                # A dead consumer (its static member fenced: by another worker under this instance id,
                # or by librdkafka itself after a broker restart) cannot go on: exit for the supervisor.
                if error.fatal() or error.code() == KafkaError._FATAL:
                    raise SystemExit(f"consumer: {error}")
                log.warning("consume: %s", error)
                continue
            by_partition[(message.topic(), message.partition())].append(message)
        for (topic, partition), batch in by_partition.items():
            for processor in self.by_topic[topic]:
                task = self.tasks.get((processor.name, partition))
                if task is not None:
                    task.process(topic, batch, self.out)
            self._offsets[(topic, partition)] = batch[-1].offset() + 1


def now_ms() -> int:
    """Wall-clock time in epoch milliseconds: what closes quiet windows and stamps computed_at."""
    return time.time_ns() // 1_000_000
