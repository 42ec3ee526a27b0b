"""`python -m sandbox.payment_gateway --port 8091 [...]`: serve the sandbox until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging

from ..common.cli import add_server_args, configure_logging, non_negative, serve_until_stopped
from .app import start
from .config import DEFAULT_API_KEY, Config
from .faults import FaultSettings
from .ledger import SEVEN_DAYS

log = logging.getLogger("sandbox.payment_gateway")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m sandbox.payment_gateway",
                                description="Sandbox payment gateway (see sandbox/payment_gateway/PROTOCOL.md)")
    add_server_args(p, port=8091, api_key=DEFAULT_API_KEY)
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
    # A short grace: a tok_timeout request would otherwise hold shutdown for its whole 30 s hang.
    await serve_until_stopped(lambda: start(args.host, args.port, config_from(args), shutdown_timeout=2.0), log)


def main(argv: list[str] | None = None) -> None:
    configure_logging()
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
