"""The background jobs of each service, run inside a serving process (the embedded default) or on
their own: `python -m servers worker NAME`."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from servers import housekeeping
from servers.booking import jobs as booking_jobs
from servers.booking import settle
from servers.inventory.jobs import sweep_expired_holds
from servers.inventory.poller import ChannelPoller
from servers.inventory.webhooks import bare_webhook_app, create_webhook_app, start_webhook_server
from servers.messaging import create_bus
from servers.partner import outbound
from servers.partner.ota_http import add_partner_routes
from servers.partner.sender import DeliveryWorker
from servers.runtime.jobs import BackgroundJobs

log = logging.getLogger("hotelagg.workers")

PARTNER_STOP_GRACE_SECONDS = 1.0
WORKERS = ("hold-sweeper", "channel-poller", "booking-expiry", "reconciliation", "partner-delivery", "housekeeping")


async def start_jobs(parts, services, running, webhook_port: int | None) -> BackgroundJobs:
    s = parts.settings
    jobs = BackgroundJobs()
    receiver = None
    # Every process purges (it is safe side by side): nothing depends on a dedicated worker being deployed.
    jobs.start(s.housekeeping_interval_seconds, "housekeeping", lambda: housekeeping.run(parts))
    if "inventory" in services:
        jobs.start(s.hold_sweep_interval_seconds, "hold-sweeper", lambda: sweep_expired_holds(parts.db, parts.hub))
        poller = ChannelPoller(parts.db, parts.mirror, parts.clients, s.poll_interval_seconds)
        jobs.start(s.poll_interval_seconds, "channel-poller", poller.run)
        receiver = create_webhook_app(parts.db, parts.mirror, s.channel_managers, s.webhook_tolerance_seconds)
        running.context.update(poller=poller)
    if "partner" in services:
        receiver = receiver or bare_webhook_app()
        add_partner_routes(receiver, parts.gate, parts.reservations)
        await start_partner_bus(parts, running)
    if receiver is not None:
        webhooks, bound = await start_webhook_server(receiver, s.host, s.webhook_port if webhook_port is None
                                                     else webhook_port)
        running.context.update(webhook_port=bound)
        running.on_stop.append(webhooks.cleanup)
    if "booking" in services and parts.booking.payments is not None:
        bus = create_bus(s, parts.db)
        bus.register(settle.FINISH_TOPIC, lambda message: settle.finish_queued(parts.booking, message))
        await bus.start()
        parts.booking.bus = bus
        running.on_stop.append(bus.stop)
        jobs.start(s.booking_expiry_interval_seconds, "booking-expiry",
                   lambda: booking_jobs.expire_bookings(parts.booking))
        jobs.start(s.reconcile_interval_seconds, "reconciliation", lambda: booking_jobs.reconcile(
            parts.booking, timedelta(seconds=s.reconcile_stuck_seconds)))
    return jobs


async def start_partner_bus(parts, running=None) -> None:
    """Consumes partner deliveries in this process (and lets its transactions wake the bus at once)."""
    bus = create_bus(parts.settings, parts.db)
    worker = DeliveryWorker(parts.db, bus, parts.limiter, parts.partner_clients)
    bus.register(outbound.TOPIC, worker.handle)
    await bus.start()
    parts.partner_bus = bus

    async def stop() -> None:
        # A delivery cut short is safe (its lease runs out, its message comes back): never hold up a shutdown.
        await bus.stop(grace=PARTNER_STOP_GRACE_SECONDS)
        await worker.stop()

    parts.stop_partner_bus = stop
    if running is not None:
        running.on_stop.append(stop)


async def run_worker(settings, name: str, once: bool) -> None:
    """One job on its own (production: workers as separate processes, any number of them)."""
    import grpc

    from clients.hotelagg import InventoryClient
    from servers.app import Components
    from servers.runtime.jobs import every
    from servers.runtime.server import wait_for_signal

    parts = Components.build(settings)
    channel = None
    if name in ("booking-expiry", "reconciliation"):
        if parts.booking.payments is None:
            raise SystemExit("booking workers need HOTELAGG_PAYMENT_GATEWAY_URL")
        channel = grpc.aio.insecure_channel(settings.inventory_target or f"127.0.0.1:{settings.port}")
        parts.booking.inventory = InventoryClient(channel, service_token=settings.service_token)
    if name == "partner-delivery":
        try:
            await start_partner_bus(parts)
            await wait_for_signal()
        finally:
            if parts.stop_partner_bus is not None:
                await parts.stop_partner_bus()
            await parts.close()
        return
    job, interval = _job(parts, name)
    try:
        if once:
            log.info("worker ran once", extra={"worker": name, "result": str(await job())})
            return
        task = asyncio.create_task(every(interval, name, job))
        await wait_for_signal()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    finally:
        if channel is not None:
            await channel.close()
        await parts.close()


def _job(parts, name: str):
    s = parts.settings
    if name == "hold-sweeper":
        return (lambda: sweep_expired_holds(parts.db, parts.hub)), s.hold_sweep_interval_seconds
    if name == "channel-poller":
        poller = ChannelPoller(parts.db, parts.mirror, parts.clients, s.poll_interval_seconds)
        return poller.poll_all, s.poll_interval_seconds
    if name == "booking-expiry":
        return (lambda: booking_jobs.expire_bookings(parts.booking)), s.booking_expiry_interval_seconds
    if name == "reconciliation":
        return (lambda: booking_jobs.reconcile(parts.booking, timedelta(seconds=s.reconcile_stuck_seconds))), \
            s.reconcile_interval_seconds
    if name == "housekeeping":
        return (lambda: housekeeping.run(parts)), s.housekeeping_interval_seconds
    raise SystemExit(f"unknown worker {name!r}; known: {', '.join(WORKERS)}")
