"""Webhook subscriptions and the pusher: every event POSTed, signed, at least once, in no set order.

Each subscription has its own queue and a fixed pool of workers, so one slow or dead receiver
cannot starve another, and the number of tasks never grows with the number of events. Retries and
reorder hold-backs are loop timers, not tasks; `close()` cancels both, so nothing outlives shutdown.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import aiohttp

from .faults import FaultSettings

log = logging.getLogger("sandbox.channel_manager.webhooks")


@dataclass
class WebhookSettings:
    timeout: float = 5.0
    retry_base: float = 0.5  # 0.5 s, 1 s, 2 s, ... as PROTOCOL.md promises
    retry_cap: float = 30.0
    retry_window: float = 600.0  # give up 10 minutes after the first attempt
    workers_per_subscription: int = 16
    reorder_delay: tuple[float, float] = (0.05, 0.5)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


@dataclass
class _Delivery:
    event_id: str
    body: bytes
    first_attempt: float | None = None  # monotonic; the retry window runs from here
    failures: int = 0


@dataclass
class _Subscription:
    subscription_id: str
    url: str
    secret: str
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    workers: list[asyncio.Task] = field(default_factory=list)
    timers: set[asyncio.TimerHandle] = field(default_factory=set)


class Pusher:
    def __init__(self, faults: FaultSettings, settings: WebhookSettings | None = None,
                 rng: random.Random | None = None) -> None:
        self.faults = faults
        self.settings = settings or WebhookSettings()
        self.rng = rng or random.Random()
        self.subscriptions: dict[str, _Subscription] = {}
        self.counters: Counter[str] = Counter()
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
            connector=aiohttp.TCPConnector(limit=256, limit_per_host=64),
        )

    async def close(self) -> None:
        for subscription_id in list(self.subscriptions):
            await self.unsubscribe(subscription_id)
        if self._session is not None:
            await self._session.close()
            self._session = None

    def subscribe(self, url: str, secret: str) -> str:
        sub = _Subscription(f"s-{uuid.uuid4().hex[:16]}", url, secret)
        sub.workers = [asyncio.create_task(self._work(sub), name=f"webhook-{sub.subscription_id}-{i}")
                       for i in range(self.settings.workers_per_subscription)]
        self.subscriptions[sub.subscription_id] = sub
        return sub.subscription_id

    async def unsubscribe(self, subscription_id: str) -> bool:
        sub = self.subscriptions.pop(subscription_id, None)
        if sub is None:
            return False
        for timer in sub.timers:
            timer.cancel()
        for worker in sub.workers:
            worker.cancel()
        await asyncio.gather(*sub.workers, return_exceptions=True)
        return True

    def publish(self, event: dict) -> None:
        """State listener: called synchronously for each event as it is appended to the feed."""
        if not self.subscriptions:
            return
        body = json.dumps(event, separators=(",", ":")).encode()
        for sub in self.subscriptions.values():
            self._route(sub, _Delivery(event["event_id"], body))

    def stats(self) -> dict:
        pending = sum(s.queue.qsize() + len(s.timers) for s in self.subscriptions.values())
        names = ("sent", "acknowledged", "dropped", "duplicated", "failed_attempts", "abandoned")
        return {**{n: self.counters[n] for n in names}, "pending": pending,
                "subscriptions": len(self.subscriptions)}

    # ---- delivery -------------------------------------------------------------------------------

    def _route(self, sub: _Subscription, delivery: _Delivery) -> None:
        """Webhook faults are drawn once per event and subscription, when the event is published."""
        f = self.faults
        if f.webhook_drop_rate and self.rng.random() < f.webhook_drop_rate:
            self.counters["dropped"] += 1
            return
        copies = [delivery]
        if f.webhook_duplicate_rate and self.rng.random() < f.webhook_duplicate_rate:
            self.counters["duplicated"] += 1
            copies.append(_Delivery(delivery.event_id, delivery.body))
        for copy in copies:
            if f.webhook_reorder_rate and self.rng.random() < f.webhook_reorder_rate:
                self._later(sub, self.rng.uniform(*self.settings.reorder_delay), copy)
            else:
                sub.queue.put_nowait(copy)

    def _later(self, sub: _Subscription, delay: float, delivery: _Delivery) -> None:
        def fire() -> None:
            sub.timers.discard(handle)
            sub.queue.put_nowait(delivery)

        handle = asyncio.get_running_loop().call_later(delay, fire)
        sub.timers.add(handle)

    async def _work(self, sub: _Subscription) -> None:
        while True:
            delivery = await sub.queue.get()
            if delivery.first_attempt is None:
                delivery.first_attempt = time.monotonic()
            if not await self._post(sub, delivery):
                self._retry(sub, delivery)

    async def _post(self, sub: _Subscription, delivery: _Delivery) -> bool:
        timestamp = int(time.time())  # signed afresh on each attempt so a retry is never stale
        headers = {
            "Content-Type": "application/json",
            "X-CM-Signature": sign(sub.secret, timestamp, delivery.body),
            "X-CM-Event-Id": delivery.event_id,
        }
        self.counters["sent"] += 1
        try:
            async with self._session.post(sub.url, data=delivery.body, headers=headers) as response:
                await response.read()  # drain it so the connection is reused
                ok = 200 <= response.status < 300
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            log.debug("webhook %s to %s failed: %r", delivery.event_id, sub.url, error)
            ok = False
        except Exception:  # noqa: BLE001 - a worker that died here would silently shrink the pool
            log.exception("webhook %s to %s failed unexpectedly", delivery.event_id, sub.url)
            ok = False
        self.counters["acknowledged" if ok else "failed_attempts"] += 1
        return ok

    def _retry(self, sub: _Subscription, delivery: _Delivery) -> None:
        delivery.failures += 1
        s = self.settings
        delay = min(s.retry_cap, s.retry_base * 2 ** (delivery.failures - 1))
        if time.monotonic() + delay - delivery.first_attempt > s.retry_window:
            self.counters["abandoned"] += 1
            log.warning("webhook %s to %s abandoned after %d attempts", delivery.event_id, sub.url,
                        delivery.failures)
            return
        self._later(sub, delay, delivery)
