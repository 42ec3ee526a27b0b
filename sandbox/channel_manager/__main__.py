"""`python -m sandbox.channel_manager --port 8090 [...]`: serve the sandbox until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from .app import start
from .competitors import MAX_RATE, CompetitorSettings
from .config import DEFAULT_API_KEY, Config
from .faults import FaultSettings

log = logging.getLogger("sandbox.channel_manager")


def rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not in [0, 1]")
    return value


def non_negative(kind):
    def parse(text: str):
        value = kind(text)
        if value < 0:
            raise argparse.ArgumentTypeError(f"{text} is negative")
        return value

    return parse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m sandbox.channel_manager",
                                description="Sandbox channel manager (see sandbox/channel_manager/PROTOCOL.md)")
    p.add_argument("--port", type=int, default=8090, help="0 picks a free port (default 8090)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--api-key", default=DEFAULT_API_KEY)
    p.add_argument("--latency-ms", type=non_negative(int), default=0)
    p.add_argument("--error-rate", type=rate, default=0.0)
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
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner, _port = await start(args.host, args.port, config_from(args))  # start() logs the port
    await stop.wait()
    log.info("shutting down")
    await runner.cleanup()
    log.info("stopped")


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
