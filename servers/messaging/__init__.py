"""Outbound messages: the transactional outbox, and the bus that delivers it (ARCHITECTURE §5 rules 4, 5).

    bus = create_bus(settings, db)
    bus.register("partner.delivery", deliver_to_partner)   # async (Message) -> None, idempotent
    await bus.start()
    async with db.unit_of_work() as uow:
        ...  # the state change
        await bus.enqueue(uow, "partner.delivery", key=f"partner:{p}:hotel:{h}", payload={...})
        await uow.commit()                                  # only now can it be delivered

Code that has no bus at hand writes with `outbox.enqueue(uow, ...)`; the bus then finds the row on
its next poll instead of at once.
"""

from __future__ import annotations

from servers.messaging.bus import Bus, Handler, Permanent, RetryPolicy
from servers.messaging.embedded import EmbeddedBus
from servers.messaging.outbox import Message, enqueue
from servers.messaging.rabbit import RabbitBus
from servers.runtime.config import Settings
from servers.storage.database import Database

__all__ = [
    "Bus", "EmbeddedBus", "Handler", "Message", "Permanent", "RabbitBus", "RetryPolicy", "create_bus", "enqueue",
]


def create_bus(settings: Settings, db: Database, policy: RetryPolicy | None = None) -> Bus:
    """RabbitMQ when HOTELAGG_AMQP_URL is set; otherwise the outbox table itself is the queue."""
    policy = policy or RetryPolicy(tuple(settings.retry_tiers_seconds))
    if settings.amqp_url:
        return RabbitBus(db, settings.amqp_url, policy, prefix=settings.amqp_prefix)
    return EmbeddedBus(db, policy)
