"""`python -m sandbox.payment_gateway --port 8091 [...]`: serve the sandbox until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from .app import start
from .config import DEFAULT_API_KEY, Config
from .faults import FaultSettings
from .ledger import SEVEN_DAYS

log = logging.getLogger("sandbox.payment_gateway")


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
    p = argparse.ArgumentParser(prog="python -m sandbox.payment_gateway",
                                description="Sandbox payment gateway (see sandbox/payment_gateway/PROTOCOL.md)")
    p.add_argument("--port", type=int, default=8091, help="0 picks a free port (default 8091)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--api-key", default=DEFAULT_API_KEY)
    p.add_argument("--latency-ms", type=non_negative(int), default=0)
    p.add_argument("--error-rate", type=rate, default=0.0)
    p.add_argument("--authorization-ttl", type=non_negative(float), default=SEVEN_DAYS,
                   help="seconds an uncaptured authorization lives (default 7 days)")
    p.add_argument("--random-seed", type=int, default=None, help="fix fault draws")
    return p.parse_args(argv)


def config_from(args: argparse.Namespace) -> Config:
    return Config(
        api_key=args.api_key,
        faults=FaultSettings(latency_ms=args.latency_ms, error_rate=args.error_rate),
        authorization_ttl=args.authorization_ttl,
        random_seed=args.random_seed,
    )


async def serve(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # A short grace: a tok_timeout request would otherwise hold shutdown for its whole 30 s hang.
    runner, _port = await start(args.host, args.port, config_from(args), shutdown_timeout=2.0)
    await stop.wait()
    log.info("shutting down")
    await runner.cleanup()
    log.info("stopped")


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
