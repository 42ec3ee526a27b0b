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
from servers.storage.leases import leased
from servers.system import Foundation, System

PARTNER_STOP_GRACE_SECONDS = 1.0
WORKERS = ("hold-sweeper", "channel-poller", "booking-expiry", "reconciliation", "partner-delivery", "housekeeping")


async def start_jobs(system: System) -> BackgroundJobs:
    """Starts the periodic jobs and the buses of a serving process; the caller stops them (jobs first)."""
    parts, s = system.foundation, system.settings
    jobs = BackgroundJobs()

    def start_leased(interval: float, name: str, job: Callable[[], Awaitable[object]]) -> None:
        # Every replica runs every job; the one holding the job's lease does each round (storage/leases.py).
        jobs.start(interval, name, leased(parts.leases, name, job))

    # Every process purges: nothing depends on a dedicated worker being deployed.
    start_leased(s.housekeeping_interval_seconds, "housekeeping", lambda: housekeeping.run(parts, parts.clock))
    if system.poller is not None:
        start_leased(s.hold_sweep_interval_seconds, "hold-sweeper",
                     lambda: sweep_expired_holds(parts.db, parts.hub, clock=parts.clock))
        # No lease for the whole job: pollers take hotels by lease, one at a time, and so split them.
        jobs.start(s.poll_interval_seconds, "channel-poller", system.poller.run)
    if system.buses.partner is not None:
        await system.buses.partner.start()
    if system.buses.booking is not None:
        await system.buses.booking.start()
        start_leased(s.booking_expiry_interval_seconds, "booking-expiry",
                     lambda: booking_jobs.expire_bookings(system.booking))
        start_leased(s.reconcile_interval_seconds, "reconciliation", lambda: booking_jobs.reconcile(
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
    """One periodic job of a worker process, and how often it runs: only while it holds the job's lease
    (the poller: each hotel's), so any number of workers run side by side with the serving processes."""
    job, interval = _worker_job(parts, booking, name)
    return (job if name == "channel-poller" else leased(parts.leases, name, job)), interval


def _worker_job(parts: Foundation, booking: BookingDeps, name: str) -> tuple[Callable[[], Awaitable[object]], float]:
    s = parts.settings
    if name == "hold-sweeper":
        return (lambda: sweep_expired_holds(parts.db, parts.hub, clock=parts.clock)), s.hold_sweep_interval_seconds
    if name == "channel-poller":
        poller = ChannelPoller(parts.db, parts.mirror, parts.clients, s.poll_interval_seconds, parts.leases,
                               parts.clock)
        return poller.poll_all, s.poll_interval_seconds
    if name == "booking-expiry":
        return (lambda: booking_jobs.expire_bookings(booking)), s.booking_expiry_interval_seconds
    if name == "reconciliation":
        return (lambda: booking_jobs.reconcile(booking, timedelta(seconds=s.reconcile_stuck_seconds))), \
            s.reconcile_interval_seconds
    if name == "housekeeping":
        return (lambda: housekeeping.run(parts, parts.clock)), s.housekeeping_interval_seconds
    raise SystemExit(f"unknown worker {name!r}; known: {', '.join(WORKERS)}")
