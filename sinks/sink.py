"""A Kafka → ClickHouse sink for one topic: batches, inserts, and only then commits.

Nothing accepted is lost: offsets are committed only after ClickHouse has the rows (or, for rows
ClickHouse refuses, after their dead letters are acknowledged), and while ClickHouse is unavailable
the sink pauses its partitions and retries with backoff. Nothing is stored twice: every row carries
its Kafka topic, partition and offset, and on each partition assignment the sink seeks past the
highest offset the table already holds, so a crash between insert and commit resumes after the
inserted rows instead of inserting them again. An insert that fails is repeated as it was, under the
same deduplication token (topic, partition, offset range and row count): ClickHouse drops what the
first attempt stored and completes the rollups it did not; an insert cut short with the sink itself
is repeated by the partition's next owner, which finds it named in the committed offset's metadata
(`in_flight.py`). A resend (the same record in a new message) is not inserted either: before each insert the
sink drops the rows whose key the table already holds, so rollups count every record once (`dedup.py`).

No good row is lost to a bad one. When ClickHouse refuses rows (a constraint, a value its column cannot
hold), the sink inserts the partition's messages one by one, splits a refused message in halves until
each refused row stands alone, stores every other row, and sends each refused row to the dead-letter
topic with ClickHouse's reason (its code and message, the column it names) and the row itself as JSON.
Every piece is an insert like any other: named in the commit metadata first, under a token that says
which rows of which message it holds. A failure that is no refusal is retried with backoff: forever when
the warehouse cannot take inserts at all (unreachable, overloaded, misconfigured), `insert_max_tries`
times when it is unknown, after which the rows that still fail are dead-lettered as refused ones, so a
poison message cannot stop its topic. Which failure is which: `refusals.py`.

The sink reads with `isolation.level=read_committed`: the stream worker writes the derived topics
(indicators, alerts, late events, dead letters) in Kafka transactions, and an aborted transaction
leaves its records in the log, where a read_uncommitted consumer would store them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from clickhouse_connect.driver.client import Client
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from ioc.serde import AvroDecoder, RegistryUnavailableError, SerdeError
from ioc.settings import SinkSettings
from sinks.dead_letters import DeadLetterSender
from sinks.dedup import QUERY_SIZE_MARGIN, Key, KeyFilter
from sinks.in_flight import InFlight, piece_of
from sinks.refusals import Failure, failure_of, row_payload, why
from sinks.tables import Row, TableMapping

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 30.0
REGISTRY_WAIT_S = 5.0
INSERT_MAX_TRIES = SinkSettings.model_fields["insert_max_tries"].default
# Commit refusals that mean "not now" (a broker or the group coordinator restarting or moving):
# librdkafka does not flag a synchronous commit's error as retriable, so the codes are named here.
RETRIABLE_COMMIT_ERRORS = {
    KafkaError.NOT_COORDINATOR,
    KafkaError.COORDINATOR_NOT_AVAILABLE,
    KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
    KafkaError.REQUEST_TIMED_OUT,
    KafkaError.NETWORK_EXCEPTION,
    KafkaError._TRANSPORT,
    KafkaError._TIMED_OUT,
    KafkaError._WAIT_COORD,
    KafkaError._ALL_BROKERS_DOWN,
}
Messages = list[tuple[int, list[Row]]]  # (offset, rows of that message), per partition
T = TypeVar("T")


def sink_consumer_config(base: dict[str, Any]) -> dict[str, Any]:
    """The sink's consumer settings over `base` (bootstrap servers, group id): offsets committed by
    the sink itself after the insert, a partition the group never committed read from its start,
    and only records of committed transactions."""
    return base | {
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
    }


class TopicSink:
    """Moves one topic into its table until `stop` is set."""

    def __init__(
        self,
        mapping: TableMapping,
        topic: str,
        consumer_config: dict[str, Any],
        decoder: AvroDecoder,
        client_factory: Callable[[], Client],
        dead_letters: DeadLetterSender | None,
        batch_max_records: int,
        batch_max_seconds: float,
        insert_max_tries: int = INSERT_MAX_TRIES,
    ) -> None:
        self.mapping = mapping
        self.topic = topic
        self.decoder = decoder
        self.client = client_factory()
        self.dead_letters = dead_letters
        self.batch_max_records = batch_max_records
        self.batch_max_seconds = batch_max_seconds
        self.insert_max_tries = max(1, insert_max_tries)
        self.consumer = Consumer(sink_consumer_config(consumer_config))
        self._stop = threading.Event()  # run()'s, once it runs: the rebalance callback waits on it
        self.keys = (
            KeyFilter(mapping.table, mapping.columns, mapping.event_key) if mapping.event_key else None
        )
        self.rows_written = 0
        self.duplicates_dropped = 0
        self.rejected_messages = 0  # messages that could not be decoded
        self.rejected_rows = 0  # rows ClickHouse refused, or that failed every try
        self.insert_failures = 0
        # Rows dead-lettered during the flush under way (partition, offset, position): an insert retried
        # after a failure goes through the same message again, and its dead letters are sent once.
        self._dead_lettered: set[tuple[int, int, int]] = set()
        # Partitions held now; readable from other threads, which the consumer itself is not.
        self.assigned: list[int] = []

    def _stored_offsets(self) -> dict[int, int]:
        sql = f"SELECT kafka_partition, max(kafka_offset) FROM {self.mapping.table} WHERE kafka_topic = {{t:String}} GROUP BY 1"  # noqa: S608 - table name from code
        result = self.client.query(sql, parameters={"t": self.topic})
        return {int(p): int(o) for p, o in result.result_rows}

    def _when_reachable(self, ask: Callable[[], T], what: str) -> T:
        """`ask()`, repeated until ClickHouse answers. An exception here would leave the rebalance
        callback through `consume()` and end the sink's thread (the chaos run lost every sink of one
        process this way when the TCP proxy cut it from the warehouse); the partitions just assigned
        are not read meanwhile, so waiting loses nothing."""
        backoff = 0.5
        while True:
            try:
                return ask()
            except Exception as exc:
                if self._stop.is_set():
                    raise
                log.warning("%s: cannot %s (%s); retrying in %.1f s", self.mapping.table, what, exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)

    def _complete(self, insert: InFlight, stored_up_to: int) -> None:
        """Repeat an insert that a previous owner of the partition started and never committed, if
        the raw table holds its rows: ClickHouse drops the raw repeat by its token and inserts the
        rollup rows a crash between the two left out. Not when rows past it are stored (a later
        insert went through, so this one did), nor when only some of its rows are."""
        if stored_up_to > insert.last:
            return
        if insert.piece:
            # The table cannot tell a piece's rows from its message's other rows (they share the
            # offset), and repeating the wrong ones under its token would count them twice. The
            # message is read again instead (`_on_assign`), and the rows stored are dropped as resends.
            log.warning(
                "%s: a piece of a message stored in pieces was unfinished (%s); its rollups are not checked",
                self.mapping.table,
                insert.token,
            )
            return
        sql = (
            f"SELECT {', '.join(self.mapping.all_columns())} FROM {self.mapping.table} "  # noqa: S608 - names from code
            "WHERE kafka_topic = {t:String} AND kafka_partition = {p:Int64} "
            "AND kafka_offset BETWEEN {first:Int64} AND {last:Int64}"
        )
        parameters = {"t": self.topic, "p": insert.partition, "first": insert.first, "last": insert.last}
        rows = self.client.query(sql, parameters=parameters).result_rows
        if not rows:
            return  # it never reached ClickHouse: its messages are read again
        if len(rows) != insert.rows:
            log.warning(
                "%s: %d of the %d rows of an unfinished insert (%s) are stored; its rollups are not checked",
                self.mapping.table,
                len(rows),
                insert.rows,
                insert.token,
            )
            return
        self._insert_under(rows, insert.token)
        log.warning(
            "%s: repeated an insert its sink did not finish (%s) so that its rollups are complete",
            self.mapping.table,
            insert.token,
        )

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        stored = self._when_reachable(self._stored_offsets, "ask ClickHouse where the partitions stand")
        committed_offsets = consumer.committed(partitions, timeout=30)
        pieces: dict[int, InFlight] = {}
        for tp in committed_offsets:
            if (insert := InFlight.decode(self.topic, tp.partition, tp.metadata)) is not None:
                stored_up_to = stored.get(tp.partition, -1)
                self._when_reachable(
                    partial(self._complete, insert, stored_up_to), "repeat an unfinished insert"
                )
                if insert.piece:
                    pieces[tp.partition] = insert
        committed = {tp.partition: tp.offset for tp in committed_offsets}
        for tp in partitions:
            if tp.partition in stored and committed.get(tp.partition, -1) <= stored[tp.partition]:
                tp.offset = stored[tp.partition] + 1
                # A message stored in pieces when its sink stopped: some of its good rows may not be
                # stored yet, so it is read again (its stored rows are dropped as resends).
                piece = pieces.get(tp.partition)
                if piece is not None and piece.last == stored[tp.partition]:
                    tp.offset = piece.first
        consumer.assign(partitions)
        # librdkafka keeps a partition's pause across a rebalance: one paused by `_pause_for` that
        # comes back after the pause ended would never deliver again (the chaos run found a sink
        # idle on three partitions after the warehouse restarted). Inside a pause, what arrives
        # early is sought back and paused again there.
        consumer.resume(partitions)
        self.assigned = sorted(tp.partition for tp in partitions)

    def run(self, stop: threading.Event) -> None:
        """Consume, batch and flush until stopped; the last batch is flushed before returning."""
        self._stop = stop
        self.consumer.subscribe([self.topic], on_assign=self._on_assign)
        pending: dict[int, Messages] = defaultdict(list)
        started = time.monotonic()
        count = 0
        try:
            while not stop.is_set():
                count += self._take_all(self.consumer.consume(num_messages=1000, timeout=0.2), pending, stop)
                if count and (
                    count >= self.batch_max_records or time.monotonic() - started >= self.batch_max_seconds
                ):
                    self.flush(pending, stop)
                    count = 0
                if not count:
                    started = time.monotonic()
            if count:
                self.flush(pending, stop)
        finally:
            self.consumer.close()
            self.client.close()

    def _take_all(self, messages: list[Message], pending: dict[int, Messages], stop: threading.Event) -> int:
        """Take a consumed batch into `pending`; returns the rows taken. When the registry cannot be
        asked for a writer's schema, the rest of the batch is handed back (each partition sought to
        its first message not taken) and the sink waits before reading on."""
        taken = 0
        for index, message in enumerate(messages):
            try:
                taken += self._take(message, pending)
            except RegistryUnavailableError as exc:
                self._hand_back(messages[index:])
                log.warning("%s: %s; reading again in %.1f s", self.topic, exc, REGISTRY_WAIT_S)
                self._pause_for(REGISTRY_WAIT_S, stop)
                break
        return taken

    def _hand_back(self, messages: list[Message]) -> None:
        """Seek each partition back to its first message among `messages`, to be read again."""
        first: dict[int, int] = {}
        for message in messages:
            if message.error() is None:
                first.setdefault(message.partition(), message.offset())
        for partition, offset in first.items():
            self.consumer.seek(TopicPartition(self.topic, partition, offset))

    def _take(self, message: Message, pending: dict[int, Messages]) -> int:
        error = message.error()
        if error is not None:
            if error.code() != KafkaError._PARTITION_EOF:
                log.warning("%s: %s", self.topic, error)
            return 0
        partition, offset = message.partition(), message.offset()
        try:
            record = self.decoder.decode(message.value())
        except SerdeError as exc:
            self._reject(partition, offset, message.value() or b"", "avro-confluent-framing", str(exc))
            pending[partition].append((offset, []))
            return 1
        rows = [[*row, self.topic, partition, offset] for row in self.mapping.rows(record)]
        pending[partition].append((offset, rows))
        return len(rows) or 1

    def flush(self, pending: dict[int, Messages], stop: threading.Event) -> None:
        """Insert every pending partition (retrying while ClickHouse is unavailable), then commit.

        What to insert is planned once for the whole batch (one lookup of the stored keys), and each
        partition's insert is named in its committed offset's metadata before it starts. An insert
        that fails is repeated as planned, under the same token (ClickHouse keeps what the failed
        attempt stored once, and completes its rollups); the partitions left after a refused row
        are planned again (it was not stored, so its copies in later partitions are no longer
        duplicates). A failure of unknown kind counts as a refusal on a partition's
        `insert_max_tries`-th try."""
        backoff = 0.5
        partitions = list(pending)
        plan: dict[int, Messages] | None = None
        self._dead_lettered.clear()
        for index, partition in enumerate(partitions):
            unknown = 0  # this partition's tries that failed in a way neither refused nor waiting
            while True:
                try:
                    if plan is None:
                        planned = self._plan({p: pending[p] for p in partitions[index:]})
                        self._announce(
                            [
                                (msgs[0][0], insert)
                                for p, msgs in planned.items()
                                if (insert := self._in_flight(p, msgs)) is not None
                            ],
                            stop,
                        )
                        plan = planned
                    give_up = unknown + 1 >= self.insert_max_tries
                    if not self._insert_partition(partition, pending[partition], plan[partition], give_up):
                        plan = None
                    break
                except Exception as exc:
                    if stop.is_set():
                        raise
                    if failure_of(exc) is Failure.UNKNOWN:
                        unknown += 1
                        log.warning(
                            "%s: insert failed (%s), try %d of %d; pausing for %.1f s",
                            self.mapping.table,
                            exc,
                            unknown,
                            self.insert_max_tries,
                            backoff,
                        )
                    else:
                        log.warning(
                            "%s: insert failed (%s); pausing for %.1f s", self.mapping.table, exc, backoff
                        )
                    self.insert_failures += 1
                    self._pause_for(backoff, stop)
                    backoff = min(backoff * 2, MAX_BACKOFF_S)
        if self.dead_letters is not None:
            self.dead_letters.flush()
        self.commit({p: messages[-1][0] for p, messages in pending.items() if messages}, stop)
        pending.clear()

    def _pause_for(self, seconds: float, stop: threading.Event) -> None:
        """Hold every partition still for `seconds` while polling the consumer all along.

        A consumer that does not poll for `max.poll.interval.ms` is dropped from its group: its
        partitions go elsewhere and its commit after the outage fails. Paused partitions deliver
        nothing; messages that still arrive (a partition assigned during the pause) are sought back
        to, so they are delivered again once the sink resumes instead of being lost. Back to the
        *first* of them: one `consume` returns a partition's messages in a row, and seeking to each
        in turn left the partition past all but the last (the chaos run lost the 35 messages that
        arrived while the warehouse restarted this way).
        """
        self.consumer.pause(self.consumer.assignment())
        first_early: dict[int, int] = {}
        deadline = time.monotonic() + seconds
        while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
            for message in self.consumer.consume(num_messages=100, timeout=min(0.5, left)):
                if message.error() is not None:
                    continue
                partition, offset = message.partition(), message.offset()
                if partition in first_early and first_early[partition] <= offset:
                    continue  # already sought back before it
                first_early[partition] = offset
                early = TopicPartition(self.topic, partition, offset)
                self.consumer.seek(early)
                self.consumer.pause([early])
        self.consumer.resume(self.consumer.assignment())

    def commit(self, last_offsets: dict[int, int], stop: threading.Event | None = None) -> None:
        """Commit the offsets after the last message of each partition (synchronously), which also
        clears the unfinished insert their metadata named.

        The rows are already stored, so a commit that cannot be made is never worth the sink's life:
        a retriable refusal (the broker restarting, its group coordinator moving) is retried with
        backoff while polling; any other (the group moved on after a rebalance) is logged, and
        whoever owns the partition next resumes after the stored rows (`_on_assign`), so nothing is
        stored twice either way.
        """
        self._commit([TopicPartition(self.topic, p, last + 1) for p, last in last_offsets.items()], stop)

    def _announce(self, inserts: list[tuple[int, InFlight]], stop: threading.Event | None) -> None:
        """Name each coming insert in its partition's committed offset's metadata, the offset staying
        at the batch's first message (given with it), for the next owner should the sink die
        mid-insert."""
        self._commit(
            [
                TopicPartition(self.topic, insert.partition, batch_start, metadata=insert.encode())
                for batch_start, insert in inserts
            ],
            stop,
        )

    def _in_flight(self, partition: int, planned: Messages) -> InFlight | None:
        """The insert of a partition's planned messages (None when no row is left to insert)."""
        rows = sum(len(message_rows) for _, message_rows in planned)
        if not rows:
            return None
        return InFlight(self.topic, partition, planned[0][0], planned[-1][0], rows)

    def _commit(self, commits: list[TopicPartition], stop: threading.Event | None) -> None:
        if not commits:
            return
        backoff = 0.5
        while True:
            try:
                self.consumer.commit(offsets=commits, asynchronous=False)
                return
            except KafkaException as exc:
                error = exc.args[0]
                retriable = error.retriable() or error.code() in RETRIABLE_COMMIT_ERRORS
                if not retriable or (stop is not None and stop.is_set()):
                    log.warning(
                        "%s: offsets not committed (%s); stored rows are skipped on resume", self.topic, error
                    )
                    return
                log.warning("%s: commit refused (%s); retrying in %.1f s", self.topic, error, backoff)
                self._pause_for(backoff, stop or threading.Event())
                backoff = min(backoff * 2, MAX_BACKOFF_S)

    def _plan(self, pending: dict[int, Messages]) -> dict[int, Messages]:
        """Each partition's messages without the rows whose key the table holds or an earlier row of
        the batch (in partition order, the order of the inserts) carries."""
        if self.keys is None:
            return pending
        rows = [row for messages in pending.values() for _, message_rows in messages for row in message_rows]
        stored = self._stored_keys(
            [message_rows for messages in pending.values() for _, message_rows in messages]
        )
        if self.keys.all_new(rows, stored):
            return pending  # the usual batch: no Python loop over its 20,000 rows
        seen = set(stored)
        plan: dict[int, Messages] = {}
        for partition, messages in pending.items():
            plan[partition] = []
            for offset, message_rows in messages:
                fresh = self.keys.new_rows(message_rows, seen)
                seen.update(map(self.keys.key_of, fresh))
                plan[partition].append((offset, fresh))
        kept = sum(len(r) for messages in plan.values() for _, r in messages)
        self.duplicates_dropped += len(rows) - kept
        log.debug("%s: %d rows already stored not inserted again", self.mapping.table, len(rows) - kept)
        return plan

    def _stored_keys(self, messages: list[list[Row]]) -> set[Key]:
        """The keys among the messages' rows that the table already holds (none without an event key)."""
        if self.keys is None or (sql := self.keys.lookup_sql(messages)) is None:
            return set()
        # The event ids travel in the query text: let it be parsed, and keep them out of a server's
        # query log (about 500 kB a batch, twice, would otherwise be logged every second).
        settings = {
            "max_query_size": len(sql.encode()) + QUERY_SIZE_MARGIN,
            "log_queries_cut_to_length": 2048,
        }
        answer = self.client.raw_query(sql, settings=settings, fmt="JSONCompactEachRow")
        return self.keys.stored_keys(answer)

    def _insert_partition(self, partition: int, messages: Messages, planned: Messages, give_up: bool) -> bool:
        """Insert the planned rows of one partition; False when rows were refused, which the batch's
        plan did not foresee: then every message is inserted on its own, and only its refused rows are
        left out (`_store_message`). With `give_up`, a failure of unknown kind counts as a refusal."""
        try:
            self._insert(partition, planned)
            return True
        except Exception as exc:
            if not self._refuses(exc, give_up):
                raise
        # From the messages as read: the stored keys are asked again (a refused insert may have
        # written its blocks before the refused one), and a row repeated from an earlier message
        # counts as stored only once that earlier row is.
        seen = self._stored_keys([message_rows for _, message_rows in messages])
        for offset, message_rows in messages:
            fresh = self.keys.new_rows(message_rows, seen) if self.keys is not None else message_rows
            stored = self._store_message(partition, messages[0][0], offset, message_rows, fresh, give_up)
            if self.keys is not None:
                seen.update(map(self.keys.key_of, stored))
        return False

    def _refuses(self, exc: Exception, give_up: bool) -> bool:
        """Whether `exc` refuses the rows of the insert (see `refusals.py`)."""
        failure = failure_of(exc)
        return failure is Failure.REFUSED or (give_up and failure is Failure.UNKNOWN)

    def _store_message(
        self,
        partition: int,
        batch_start: int,
        offset: int,
        message_rows: list[Row],
        fresh: list[Row],
        give_up: bool,
    ) -> list[Row]:
        """Insert a message's `fresh` rows, all but those ClickHouse refuses; returns the rows stored.

        A refused insert is split in halves, each inserted on its own, until every refused row
        stands alone and is dead-lettered: a few refused rows among N cost about 2·log2(N) inserts
        each. Each piece is named in the commit metadata first, under a token holding the positions
        of its rows in the message (`InFlight.piece`). A row refusal stores nothing of a message (one
        block, under 2 MB), but a failure of unknown kind may have stored some rows before failing
        (a view refusing them after the table took them), so after one the rows stored are asked
        again before the halves are inserted."""
        if not fresh:
            return []
        insert = InFlight(self.topic, partition, offset, offset, len(fresh))
        try:
            self._insert_announced(batch_start, insert, fresh)
            return fresh
        except Exception as exc:
            if not self._refuses(exc, give_up):
                raise
            refusal = exc
        position = {id(row): index for index, row in enumerate(message_rows)}
        stored: list[Row] = []

        def split(rows: list[Row], error: Exception) -> None:
            if failure_of(error) is not Failure.REFUSED and self.keys is not None:
                unstored = self.keys.new_rows(rows, self._stored_keys([rows]))
                left = {id(row) for row in unstored}
                stored.extend(row for row in rows if id(row) not in left)
                rows = unstored
            if len(rows) == 1:
                self._dead_letter_row(partition, offset, position[id(rows[0])], rows[0], error)
                return
            middle = len(rows) // 2
            for half in (rows[:middle], rows[middle:]):
                if not half:
                    continue
                piece = piece_of(position[id(row)] for row in half)
                try:
                    in_flight = InFlight(self.topic, partition, offset, offset, len(half), piece)
                    self._insert_announced(batch_start, in_flight, half)
                    stored.extend(half)
                except Exception as failed:
                    if not self._refuses(failed, give_up):
                        raise
                    split(half, failed)

        split(fresh, refusal)
        return stored

    def _insert_announced(self, batch_start: int, insert: InFlight, rows: list[Row]) -> None:
        """Name `insert` in the partition's commit metadata, then insert its rows under its token."""
        self._announce([(batch_start, insert)], None)
        self._insert_under(rows, insert.token)
        self.rows_written += len(rows)

    def _insert(self, partition: int, planned: Messages) -> None:
        """Insert a partition's planned rows under their insert's token (see `InFlight`)."""
        if (insert := self._in_flight(partition, planned)) is None:
            return
        rows = [row for _, message_rows in planned for row in message_rows]
        self._insert_under(rows, insert.token)
        self.rows_written += len(rows)

    def _insert_under(self, rows: Sequence[Sequence[Any]], token: str) -> None:
        """Insert with a deduplication token that the rollups' views honour too (the default since
        ClickHouse 24.x, named so that an older server does the same): a repeat under the same token
        stores nothing twice and completes any view the first attempt did not reach."""
        self.client.insert(
            self.mapping.table,
            rows,
            column_names=self.mapping.all_columns(),
            settings={
                "insert_deduplication_token": token,
                "deduplicate_blocks_in_dependent_materialized_views": 1,
            },
        )

    def _reject(self, partition: int, offset: int, payload: bytes, rule: str, reason: str) -> None:
        """Dead-letter a whole message (it could not be decoded)."""
        self.rejected_messages += 1
        ref = f"{self.topic}[{partition}]@{offset}"
        log.error("%s rejected (%s): %s", ref, rule, reason)
        if self.dead_letters is not None:
            self.dead_letters.send(self.topic, ref, rule, f"{ref}: {reason}", payload)

    def _dead_letter_row(self, partition: int, offset: int, index: int, row: Row, error: Exception) -> None:
        """Dead-letter one row ClickHouse would not store: named by its message, its position there
        and its event id, with ClickHouse's reason and the column it names, the row as JSON."""
        if (partition, offset, index) in self._dead_lettered:
            return  # sent earlier in this flush, before an insert was retried
        self._dead_lettered.add((partition, offset, index))
        self.rejected_rows += 1
        columns = self.mapping.columns
        event_id = row[columns.index("event_id")] if "event_id" in columns else None
        ref = f"{self.topic}[{partition}]@{offset} records[{index}]" + (
            f" (event_id={event_id})" if event_id is not None else ""
        )
        reason, column = why(error)
        if failure_of(error) is Failure.REFUSED:
            rule, told = "clickhouse-rejected", f"{ref}: ClickHouse refused the row: {reason}"
        else:
            rule = "clickhouse-retries-exhausted"
            told = f"{ref}: not stored after {self.insert_max_tries} tries: {reason}"
        log.error("%s", told)
        if self.dead_letters is not None:
            self.dead_letters.send(
                self.topic,
                ref,
                rule,
                told,
                row_payload(self.mapping.all_columns(), row),
                source_id=str(row[0]) if columns[0] == "source_id" else "",
                field_path=column,
            )
