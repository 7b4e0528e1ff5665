"""The router's decisions, independent of Kafka: one alert change in (`handle`), then on every tick
escalations that are due and messages that are ready go out (`tick`), and now and then resolved
alerts older than the retention are forgotten. The service feeds it from the alerts topic; tests feed
it directly with a manual clock."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ioc.settings import RoutingSettings
from routing.ack import AckSigner
from routing.audit import event
from routing.channels.base import Channel, DeliveryError, RateLimit
from routing.clock import Clock
from routing.escalation import deadline_after, escalate_due, notify_officer
from routing.grouping import group_key, message_id
from routing.matching import SEVERITY_RANK, route
from routing.roster import AreaTree, Roster, RosterSource
from routing.silences import silenced_by
from routing.state import OutboxRow, Store
from routing.templates import Item, render

log = logging.getLogger(__name__)
# Forgetting is a sweep of the state file: hourly is soon enough for a retention counted in days. One
# sweep forgets at most FORGET_BATCH alerts, a few tombstones each, all copied to the state topic in
# the round's one Kafka transaction (the first sweep of a long-lived state file would otherwise be one
# huge transaction); when more were due, the next sweep is at the next tick.
FORGET_EVERY = timedelta(hours=1)
FORGET_BATCH = 500


def row_event(
    action: str,
    alert: dict[str, Any],
    row: OutboxRow,
    now: datetime,
    attempt: int,
    message_id: str = "",
    detail: str = "",
) -> dict[str, Any]:
    """The audit event of one outbox row's send, failure or retry."""
    return event(
        action,
        alert,
        now,
        unit=row.unit,
        officer=row.officer_id,
        level=row.level,
        channel=row.channel,
        address=row.address,
        kind=row.kind,
        message_id=message_id,
        attempt=attempt,
        detail=detail,
    )


class Router:
    def __init__(
        self,
        store: Store,
        roster: RosterSource,
        areas: AreaTree,
        channels: dict[str, Channel],
        signer: AckSigner,
        clock: Clock,
        settings: RoutingSettings,
        durable: Callable[[], None] | None = None,
    ) -> None:
        """`durable` makes every state change so far survive this host (routing/replica.py); it is
        called after a message is marked as being sent and before it is, and raises when it cannot."""
        self.store, self.roster, self.areas, self.channels = store, roster, areas, channels
        self.signer, self.clock, self.settings = signer, clock, settings
        self.durable = durable or (lambda: None)
        self.limits = {name: RateLimit(settings.rate_per_minute, clock) for name in channels}
        self.retention = timedelta(days=settings.retention_days)
        self.next_forget = clock.now()  # the first tick sweeps

    def handle(self, alert: dict[str, Any]) -> None:
        """Route one alert change; a change already handled (a re-read after a crash) does nothing.

        Neither does a change issued before the retention (its CAP `sent`) of an alert the state
        does not hold: it may repeat an alert that was forgotten (only alerts whose last change was
        issued before the retention are, so every revision of one is that old), and acting on it
        would call officers about something over for days. `sent`, not `updated_at`: the latter is
        event time, and a change issued now may concern a day long past (a department's report
        late for a period that ended weeks ago). The price: on a deployment's first start, an alert
        open and unchanged for longer than the retention is not routed until it changes again."""
        roster, now = self.roster.current(), self.clock.now()
        group_at = now + timedelta(seconds=self.settings.group_wait_s)
        with self.store.transaction():
            known = self.store.alert(alert["alert_id"])
            if known is not None and alert["revision"] <= known.record["revision"]:
                return
            if known is None and alert["sent"] < now - self.retention:
                log.info(
                    "alert %s revision %s passed over: unknown and issued before the retention",
                    alert["alert_id"],
                    alert["revision"],
                )
                return
            if alert["state"] == "resolved":
                self._resolved(alert, known.silenced_by if known else "", group_at, now)
            elif known is None:
                self._opened(roster, alert, group_at, now)
            else:
                self.store.save_alert(alert, known.silenced_by)
                worse = SEVERITY_RANK.get(alert["severity"], 0) > SEVERITY_RANK.get(
                    known.record["severity"], 0
                )
                if worse and not known.silenced_by and known.acked_at is None:
                    self._severity_rose(roster, alert, group_at, now)

    def _opened(self, roster: Roster, alert: dict[str, Any], group_at: datetime, now: datetime) -> None:
        silence = silenced_by(roster, self.areas, alert, now)
        self.store.save_alert(alert, silence)
        if silence:
            self.store.audit(event("silenced", alert, now, detail=silence))
            return
        for assignment in route(roster, self.areas, alert, now):
            levels = assignment.levels
            self.store.engage(
                alert["alert_id"], assignment.unit, levels, deadline_after(roster, levels, 0, now)
            )
            detail = " > ".join(",".join(level) for level in levels)
            if assignment.fallback:
                detail = f"{assignment.fallback}: {detail}"
            self.store.audit(event("routed", alert, now, unit=assignment.unit, level=0, detail=detail))
            for officer_id in levels[0]:
                notify_officer(
                    self.store, roster, alert, "new", assignment.unit, 0, officer_id, group_at, now
                )

    def _severity_rose(
        self, roster: Roster, alert: dict[str, Any], group_at: datetime, now: datetime
    ) -> None:
        """Everyone called so far hears that it got worse."""
        for engagement in self.store.engagements(alert["alert_id"]):
            for level in range(engagement.level + 1):
                for officer_id in engagement.levels[level]:
                    notify_officer(
                        self.store, roster, alert, "update", engagement.unit, level, officer_id, group_at, now
                    )

    def _resolved(self, alert: dict[str, Any], silence: str, group_at: datetime, now: datetime) -> None:
        """Stop escalating, drop what was not sent yet, and tell everyone who was told it began."""
        self.store.save_alert(alert, silence)
        self.store.close_engagements(alert["alert_id"])
        dropped = self.store.cancel_pending(alert["alert_id"], ("new", "update", "escalation"))
        reached = self.store.reached(alert["alert_id"])
        for unit, officer_id, channel, address in reached:
            key = group_key(unit, alert, "resolved")
            self.store.enqueue(alert, "resolved", unit, -1, officer_id, channel, address, key, group_at)
        detail = f"{len(reached)} resolved notice(s), {dropped} unsent message(s) dropped"
        self.store.audit(event("resolved", alert, now, detail=detail))

    def tick(self) -> None:
        """Escalate what is due, send what is ready, and forget finished alerts when a sweep is due."""
        now = self.clock.now()
        roster = self.roster.current()
        escalate_due(self.store, roster, now)
        for group in self.store.due_groups(now):
            self._send(roster, group, now)
        if now >= self.next_forget:
            self._forget(now)

    def _forget(self, now: datetime) -> None:
        """Delete the resolved alerts last changed before the retention (Store.forget_finished); the
        service copies the deletions to the state topic with the rest of the round."""
        with self.store.transaction():
            forgotten = self.store.forget_finished(now - self.retention, FORGET_BATCH)
        if forgotten:
            log.info("forgot %d resolved alert(s) last changed before the retention", len(forgotten))
        self.next_forget = now if len(forgotten) == FORGET_BATCH else now + FORGET_EVERY

    def _send(self, roster: Roster, rows: list[OutboxRow], now: datetime) -> None:
        first = rows[0]
        channel = self.channels.get(first.channel)
        if channel is not None and not self.limits[first.channel].take():
            return  # over the channel's rate: the rows wait for the next tick, no attempt counted
        mid = message_id([row.id for row in rows])
        # The alert of every row is stored before the row is queued (same transaction).
        records = [self._record(row.alert_id) for row in rows]
        items = [
            Item(row.kind, record, self.signer.link(row.alert_id, row.officer_id, now))
            for row, record in zip(rows, records, strict=True)
        ]
        officer = roster.officer_by_id.get(first.officer_id)
        unit = roster.unit_by_code.get(first.unit)
        message = render(
            mid,
            items,
            officer.name_vi if officer else first.officer_id,
            first.officer_id,
            unit.name_vi if unit else first.unit,
            self.areas,
        )
        # Marked first, and that mark stored beyond this host: a router taking over after a crash here
        # knows these rows may have gone out (it sends them again, same message id) rather than
        # believing them unsent or sent.
        with self.store.transaction():
            self.store.mark_sending([row.id for row in rows])
        self.durable()
        try:
            if channel is None:
                raise DeliveryError(f"channel {first.channel} is not configured", permanent=True)
            channel.send(first.address, message)
        except DeliveryError as exc:
            self._failed(rows, exc, now)
            return
        with self.store.transaction():
            self.store.mark_sent([row.id for row in rows], mid)
            for row, item in zip(rows, items, strict=True):
                self.store.audit(row_event("sent", item.alert, row, now, row.attempts + 1, mid))

    def _record(self, alert_id: str) -> dict[str, Any]:
        state = self.store.alert(alert_id)
        if state is None:
            raise LookupError(f"outbox row for unknown alert {alert_id}: the state file is inconsistent")
        return state.record

    def _failed(self, rows: list[OutboxRow], error: DeliveryError, now: datetime) -> None:
        """Retry later with exponential backoff; after the last attempt (or at once when retrying
        cannot help) give up and, if nobody at that level was reached, escalate now."""
        log.warning("delivery via %s to %s failed: %s", rows[0].channel, rows[0].address, error)
        mid = message_id([row.id for row in rows])
        with self.store.transaction():
            for row in rows:
                record = self._record(row.alert_id)
                attempt = row.attempts + 1
                if error.permanent or attempt >= self.settings.max_attempts:
                    self.store.mark_failed_attempt(row.id, str(error), None)
                    self.store.audit(row_event("failed", record, row, now, attempt, mid, str(error)))
                    delivered, pending = self.store.level_outcome(row.alert_id, row.unit, row.level)
                    if delivered == 0 and pending == 0 and row.kind != "resolved":
                        self.store.bring_deadline_forward(row.alert_id, row.unit, row.level, now)
                else:
                    wait = min(self.settings.retry_base_s * 2 ** (attempt - 1), self.settings.retry_max_s)
                    self.store.mark_failed_attempt(row.id, str(error), now + timedelta(seconds=wait))
                    self.store.audit(row_event("retry", record, row, now, attempt, mid, str(error)))
