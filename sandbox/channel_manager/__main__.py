"""`python -m sandbox.channel_manager --port 8090 [...]`: serve the sandbox until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging

from ..common.cli import add_server_args, configure_logging, non_negative, rate, serve_until_stopped
from .app import start
from .competitors import MAX_RATE, CompetitorSettings
from .config import DEFAULT_API_KEY, Config
from .faults import FaultSettings

log = logging.getLogger("sandbox.channel_manager")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m sandbox.channel_manager",
                                description="Sandbox channel manager (see sandbox/channel_manager/PROTOCOL.md)")
    add_server_args(p, port=8090, api_key=DEFAULT_API_KEY)
    p.add_argument("--webhook-drop-rate", type=rate, default=0.0)
    p.add_argument("--webhook-duplicate-rate", type=rate, default=0.0)
    p.add_argument("--webhook-reorder-rate", type=rate, default=0.0)
    p.add_argument("--competitor-rate", type=non_negative(float), default=0.0,  # capped like the admin API
                   help="simulated Expedia/Booking.com bookings per second")
    p.add_argument("--seed-demo", action="store_true", help="load the demo hotels CM-ROM-1..4")
    p.add_argument("--random-seed", type=int, default=None, help="fix fault and competitor draws")
    return p.parse_args(argv)


def config_from(args: argparse.Namespace) -> Config:
    args.competitor_rate = min(args.competitor_rate, MAX_RATE)
    return Config(
        api_key=args.api_key,
        faults=FaultSettings(
            latency_ms=args.latency_ms, error_rate=args.error_rate,
            webhook_drop_rate=args.webhook_drop_rate,
            webhook_duplicate_rate=args.webhook_duplicate_rate,
            webhook_reorder_rate=args.webhook_reorder_rate,
        ),
        competitors=CompetitorSettings(rate_per_second=args.competitor_rate),
        seed_demo=args.seed_demo,
        random_seed=args.random_seed,
    )


async def serve(args: argparse.Namespace) -> None:
    await serve_until_stopped(lambda: start(args.host, args.port, config_from(args)), log)


def main(argv: list[str] | None = None) -> None:
    configure_logging()
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
