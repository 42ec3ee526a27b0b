"""The delivery worker: sends open deliveries to partners in rounds, a partner at a time.

The bus hands it one message per delivery to send, many at once. Messages for a partner wait for that
partner's next round (runtime/batching.py's keyed rounds, keyed by partner); a round leases all of them
and reads what each must send in one transaction, sends them side by side (each within the partner's
per-property rate), and closes them all in one more.
So the database work of a delivery shrinks with the traffic, and one slow partner never holds up
another's rounds. A message is settled (acked) only when its delivery is done with: delivered, handed
to a later message, or failed (the bus retries or parks it).

Per delivery, as before rounds: a rate-limit wait of a few seconds is waited out in this process (the
lease let go, so changes keep merging and the next round reads them); a longer one, or a partner's
429, becomes a delayed message; no answer or a 5xx raises (the bus's delay tiers, then parking); a
refusal for good parks at once; a change that came in while the delivery was on the wire sends it
again in the next round.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Row

from clients.partners import PartnerRateLimited, PartnerRejected
from servers.messaging.bus import Bus, Permanent, describe
from servers.messaging.outbox import Message
from servers.partner.delivery_rounds import Deliveries
from servers.partner.delivery_store import SqlDeliveries
from servers.partner.domain import PARKED, RETRYING
from servers.partner.outbound import PartnerClients, ari_updates
from servers.partner.rate_limit import RateLimiter, spaced
from servers.runtime.batching import KeyedRounds, Ticket
from servers.runtime.clock import SYSTEM_CLOCK, Clock
from servers.storage.database import Database

log = logging.getLogger("hotelagg.partner.sender")

LEASE_SECONDS = 30.0
ROUND_SIZE = 64
# Rate-limit waits up to this long keep their message in hand; longer ones go back to the bus.
WAIT_IN_PROCESS_SECONDS = 3.0
# Partners are read again after this long (their endpoint, protocol and rate rarely change).
PARTNER_TTL_SECONDS = 5.0


@dataclass(frozen=True, eq=False)
class _Ask:
    """One bus message: a delivery to send (its handler waits on the ticket that carries it)."""

    message: Message

    @property
    def delivery_id(self) -> str:
        return str(self.message.payload.get("delivery_id", ""))

    @property
    def partner_id(self) -> str:
        return str(self.message.payload.get("partner_id", ""))

    @property
    def hotel_id(self) -> str:
        return str(self.message.payload.get("hotel_id", ""))


# A message's ticket in its partner's rounds: settled (None) when its delivery is done with, failed to
# have the bus retry it, or handed on to a later round (sent again, or after the partner's rate allows).
_Ticket = Ticket[str, _Ask, None]


@dataclass
class _Sent:
    """What became of one leased delivery in a round."""

    requests: int = 0
    wait: float = 0.0  # > 0: the partner's rate says not yet


class DeliveryWorker:
    def __init__(self, db: Database | None, bus: Bus, limiter: RateLimiter, clients: PartnerClients,
                 clock: Clock = SYSTEM_CLOCK, deliveries: Deliveries | None = None) -> None:
        self.db, self.bus, self.limiter, self.clients, self.clock = db, bus, limiter, clients, clock
        # The deliveries' storage: the database's, unless a unit test hands in its fake (then db may be None).
        if deliveries is None:
            if db is None:
                raise ValueError("a delivery worker needs a database or a Deliveries")
            deliveries = SqlDeliveries(db)
        self.deliveries: Deliveries = deliveries
        # A round per partner at a time; one that raises (the database or Redis away) fails its messages,
        # and the bus retries each.
        self._rounds: KeyedRounds[str, _Ask, None] = KeyedRounds(self._round, round_size=ROUND_SIZE, name="partner")
        self._partners: dict[str, tuple[float, Row]] = {}

    async def handle(self, message: Message) -> None:
        """The bus handler: returns once the message's delivery is done with; raises to have it retried."""
        ask = _Ask(message)
        await self._rounds.submit(ask.partner_id, ask)

    async def stop(self) -> None:
        """Stops rounds still running (after the bus stopped: their messages were not acked)."""
        await self._rounds.stop()

    async def _round(self, partner_id: str, batch: list[_Ticket]) -> None:
        leases = await self.deliveries.lease_round([t.item.delivery_id for t in batch], self.clock.now(),
                                                   LEASE_SECONDS)
        carrying: dict[str, _Ticket] = {}
        for ticket in batch:
            delivery_id = ticket.item.delivery_id
            if delivery_id in leases.leased and delivery_id not in carrying:
                carrying[delivery_id] = ticket
            elif delivery_id in leases.busy_for and delivery_id not in leases.leased:
                # Another worker has it; look again once its lease is over (changes may come after its send).
                await self._later(None, ticket.item, leases.busy_for[delivery_id])
                ticket.settle(None)
            else:
                ticket.settle(None)  # delivered already, or carried by another message of this round
        if not carrying:
            return
        answers = await asyncio.gather(
            *(self._send(t, leases.leased[i], leases.ari[i]) for i, t in carrying.items()), return_exceptions=True)
        outcomes = dict(zip(carrying, answers, strict=True))
        for delivery_id, outcome in outcomes.items():
            if isinstance(outcome, Exception):  # not even its failure could be written: the bus retries it
                carrying[delivery_id].fail(outcome)
        now = self.clock.now()
        done = {i: o for i, o in outcomes.items() if isinstance(o, _Sent)}
        sent = {i: (leases.leased[i], o.requests) for i, o in done.items() if not o.wait}
        released = {i: now + timedelta(seconds=o.wait) for i, o in done.items() if o.wait}
        delivered = await self.deliveries.finish_round(sent, released, now)
        for delivery_id, ticket in carrying.items():
            if delivery_id in delivered:
                ticket.settle(None)
            elif delivery_id in sent:
                self._rounds.hand_on(ticket)  # changed while on the wire: again, with what it is now
            elif delivery_id in released:
                self._rounds.hand_on(ticket, after=(released[delivery_id] - now).total_seconds())

    async def _send(self, ticket: _Ticket, delivery: Row, ari: list[Row]) -> _Sent | None:
        """Sends one leased delivery; None when it is settled otherwise (failed and recorded, or handed to a
        delayed message)."""
        ask = ticket.item
        try:
            partner = await self._partner(delivery.partner_id)
            updates = ari_updates(ari, f"{delivery.idempotency_key}:{delivery.version}")
            cost = sum(2 if partner.protocol == "ota_xml" else 1 for _ in updates)
            if cost:
                wait = await self.limiter.acquire(f"partner-out:{partner.id}:{delivery.hotel_id}",
                                                  *spaced(partner.requests_per_minute, cost), cost=cost)
                if wait > WAIT_IN_PROCESS_SECONDS:
                    await self._later(delivery, ask, wait)
                    ticket.settle(None)
                    return None
                if wait > 0:
                    return _Sent(wait=wait)
            client = await self.clients.get(partner)
            requests = 0
            for update in updates:
                requests += (await client.send_ari(update)).requests
            return _Sent(requests)
        except PartnerRateLimited as error:
            await self._later(delivery, ask, error.retry_after, error=describe(error))
            ticket.settle(None)
        except PartnerRejected as error:
            await self._failed(delivery, PARKED, error, None)
            ticket.fail(Permanent(str(error)))
        except Exception as error:  # noqa: BLE001 - no answer, a 5xx, Redis away: the bus's delay tiers
            delay = self.bus.policy.delay_after(ask.message.attempt)
            await self._failed(delivery, RETRYING if delay is not None else PARKED, error, delay)
            ticket.fail(error)
        return None

    async def _partner(self, partner_id: str) -> Row:
        known = self._partners.get(partner_id)
        if known is not None and known[0] > time.monotonic():
            return known[1]
        row = await self.deliveries.partner(partner_id)
        self._partners[partner_id] = (time.monotonic() + PARTNER_TTL_SECONDS, row)
        return row

    async def _later(self, delivery: Row | None, ask: _Ask, seconds: float, error: str | None = None) -> None:
        """A new message for the delivery in `seconds` (its lease let go meanwhile, so changes keep merging)."""
        await self.deliveries.send_later(self.bus, ask.delivery_id, ask.partner_id, ask.hotel_id, seconds,
                                         self.clock.now(), leased=delivery is not None, error=error)

    async def _failed(self, delivery: Row, status: str, error: BaseException, delay: float | None) -> None:
        now = self.clock.now()
        retry_at = now + timedelta(seconds=delay) if delay is not None else None
        await self.deliveries.record_failure(delivery.id, status, describe(error), retry_at, now)
        log.warning("delivery to partner failed", extra={
            "delivery_id": delivery.id, "partner_id": delivery.partner_id, "status": status,
            "error": describe(error)})
