"""Partners' endpoints and our outbound rate limit, for the delivery worker's unit tests.

FakePartners stands in for servers.partner.outbound.PartnerClients (one client per partner); each
client takes ARI updates as the real ones answer: a Receipt, or PartnerUnavailable (no answer, a 5xx),
PartnerRateLimited (a 429), PartnerRejected (for good), as told through its Faults. A test can hold a
send on the wire (hold/let_go) to change the delivery meanwhile. FakeRateLimiter answers the waits a
test plans, key by key, and records what was asked.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from clients.partners import AriUpdate, PartnerUnavailable, Receipt
from tests.fakes.faults import Faults


def _unavailable(message: str, maybe_done: bool) -> Exception:
    return PartnerUnavailable(message)


class FakePartnerClient:
    def __init__(self, partner_id: str) -> None:
        self.partner_id = partner_id
        self.faults = Faults(_unavailable, party=partner_id)
        self.received: list[AriUpdate] = []  # the updates it applied, in order
        self._wire: asyncio.Event | None = None
        self.on_the_wire = asyncio.Event()  # set once a send is waiting on hold()

    def hold(self) -> None:
        """The next sends wait on the wire until let_go()."""
        self._wire = asyncio.Event()
        self.on_the_wire.clear()

    def let_go(self) -> None:
        if self._wire is not None:
            self._wire.set()
        self._wire = None

    async def send_ari(self, update: AriUpdate) -> Receipt:
        self.faults.called("send_ari", update.idempotency_key, update.property_code)
        if self._wire is not None:
            self.on_the_wire.set()
            await self._wire.wait()
        self.received.append(update)
        self.faults.answered("send_ari")
        return Receipt(1)

    async def aclose(self) -> None:
        pass

    def keys(self) -> list[str]:
        return self.faults.keys("send_ari")


class FakePartners:
    """PartnerClients' stand-in: the client of each partner, made on first use."""

    def __init__(self) -> None:
        self.clients: dict[str, FakePartnerClient] = {}

    def of(self, partner_id: str) -> FakePartnerClient:
        return self.clients.setdefault(partner_id, FakePartnerClient(partner_id))

    async def get(self, partner: Any) -> FakePartnerClient:
        return self.of(partner.id)

    async def aclose(self) -> None:
        self.clients.clear()


@dataclass(frozen=True)
class Acquired:
    key: str
    interval: float
    burst: float
    cost: int
    wait: float


@dataclass
class FakeRateLimiter:
    """Free slots unless a test planned waits for a key (each acquire takes the next planned one)."""

    asked: list[Acquired] = field(default_factory=list)
    waited: asyncio.Event = field(default_factory=asyncio.Event)  # set once it answered "not yet"
    _waits: dict[str, list[float]] = field(default_factory=dict)

    def plan_waits(self, key: str, *waits: float) -> None:
        self._waits.setdefault(key, []).extend(waits)

    async def acquire(self, key: str, interval: float, burst: float = 0.0, cost: int = 1) -> float:
        planned = self._waits.get(key)
        wait = planned.pop(0) if planned else 0.0
        self.asked.append(Acquired(key, interval, burst, cost, wait))
        if wait:
            self.waited.set()
        return wait

    async def close(self) -> None:
        pass
