"""The background jobs of each service, run inside a serving process (the embedded default) or on
their own: `python -m servers worker NAME` (servers/bootstrap.py builds both; this module only runs
what it is given)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from servers import housekeeping
from servers.booking import jobs as booking_jobs
from servers.booking.deps import BookingDeps
from servers.inventory.flows.jobs import sweep_expired_holds
from servers.inventory.flows.poller import ChannelPoller
from servers.messaging.bus import Bus
from servers.partner.sender import DeliveryWorker
from servers.runtime.jobs import BackgroundJobs
from servers.system import Foundation, System

PARTNER_STOP_GRACE_SECONDS = 1.0
WORKERS = ("hold-sweeper", "channel-poller", "booking-expiry", "reconciliation", "partner-delivery", "housekeeping")


async def start_jobs(system: System) -> BackgroundJobs:
    """Starts the periodic jobs and the buses of a serving process; the caller stops them (jobs first)."""
    parts, s = system.foundation, system.settings
    jobs = BackgroundJobs()
    # Every process purges (it is safe side by side): nothing depends on a dedicated worker being deployed.
    jobs.start(s.housekeeping_interval_seconds, "housekeeping", lambda: housekeeping.run(parts, parts.clock))
    if system.poller is not None:
        jobs.start(s.hold_sweep_interval_seconds, "hold-sweeper",
                   lambda: sweep_expired_holds(parts.db, parts.hub, clock=parts.clock))
        jobs.start(s.poll_interval_seconds, "channel-poller", system.poller.run)
    if system.buses.partner is not None:
        await system.buses.partner.start()
    if system.buses.booking is not None:
        await system.buses.booking.start()
        jobs.start(s.booking_expiry_interval_seconds, "booking-expiry",
                   lambda: booking_jobs.expire_bookings(system.booking))
        jobs.start(s.reconcile_interval_seconds, "reconciliation", lambda: booking_jobs.reconcile(
            system.booking, timedelta(seconds=s.reconcile_stuck_seconds)))
    return jobs


def partner_delivery_stop(bus: Bus, worker: DeliveryWorker) -> Callable[[], Awaitable[None]]:
    """How the partner bus stops: the bus, then the worker's rounds still running."""

    async def stop_partner_delivery() -> None:
        # A delivery cut short is safe (its lease runs out, its message comes back): never hold up a shutdown.
        await bus.stop(grace=PARTNER_STOP_GRACE_SECONDS)
        await worker.stop()

    return stop_partner_delivery


def worker_job(parts: Foundation, booking: BookingDeps, name: str) -> tuple[Callable[[], Awaitable[object]], float]:
    """One periodic job of a worker process, and how often it runs."""
    s = parts.settings
    if name == "hold-sweeper":
        return (lambda: sweep_expired_holds(parts.db, parts.hub, clock=parts.clock)), s.hold_sweep_interval_seconds
    if name == "channel-poller":
        poller = ChannelPoller(parts.db, parts.mirror, parts.clients, s.poll_interval_seconds, parts.clock)
        return poller.poll_all, s.poll_interval_seconds
    if name == "booking-expiry":
        return (lambda: booking_jobs.expire_bookings(booking)), s.booking_expiry_interval_seconds
    if name == "reconciliation":
        return (lambda: booking_jobs.reconcile(booking, timedelta(seconds=s.reconcile_stuck_seconds))), \
            s.reconcile_interval_seconds
    if name == "housekeeping":
        return (lambda: housekeeping.run(parts, parts.clock)), s.housekeeping_interval_seconds
    raise SystemExit(f"unknown worker {name!r}; known: {', '.join(WORKERS)}")
