"""`python -m sandbox.partner --protocol json_rest|ota_xml --port 8092 [...]`: serve one sandbox partner
until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging

from ..common.cli import add_server_args, configure_logging, non_negative, rate, serve_until_stopped
from .app import start
from .catalogue import parse_properties
from .config import DEFAULT_API_KEY, Config
from .faults import MAX_TIMEOUT_SECONDS, FaultSettings
from .model import PROTOCOLS

log = logging.getLogger("sandbox.partner")


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number")
    return value


def timeout_seconds(text: str) -> float:
    value = non_negative(float)(text)
    if value > MAX_TIMEOUT_SECONDS:
        raise argparse.ArgumentTypeError(f"{text} is over {MAX_TIMEOUT_SECONDS}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m sandbox.partner",
                                description="Sandbox partner aggregator (see sandbox/partner/PROTOCOL.md)")
    p.add_argument("--protocol", choices=PROTOCOLS, required=True)
    add_server_args(p, port=8092, api_key=DEFAULT_API_KEY)
    p.add_argument("--partner-id", default="sandbox-partner", help="our id at hotelagg (OTA webhook path)")
    p.add_argument("--hotelagg-target", default="127.0.0.1:50051", help="gRPC host:port (json_rest)")
    p.add_argument("--hotelagg-webhook-url", default="http://127.0.0.1:8080", help="webhook receiver (ota_xml)")
    p.add_argument("--requests-per-minute", type=non_negative(int), default=60, help="per property; 0: no limit")
    p.add_argument("--properties", type=parse_properties, default=None,
                   help='listed codes, "PROP1:DBL,TWN;PROP2:STD"; others are refused (default: any)')
    p.add_argument("--outage", action="store_true")
    p.add_argument("--timeout-rate", type=rate, default=0.0)
    p.add_argument("--timeout-seconds", type=timeout_seconds, default=30.0)
    p.add_argument("--force-429", action="store_true")
    p.add_argument("--retry-after", type=positive_int, default=1, help="Retry-After of a forced 429")
    p.add_argument("--sell-rate", type=non_negative(float), default=0.0, help="background sales per second")
    p.add_argument("--random-seed", type=int, default=None, help="fix fault and seller draws")
    p.add_argument("--keep-history", action="store_true",
                   help="keep when each night's fields changed, for GET /admin/history (benchmarks)")
    return p.parse_args(argv)


def config_from(args: argparse.Namespace) -> Config:
    return Config(
        protocol=args.protocol, partner_id=args.partner_id, api_key=args.api_key,
        hotelagg_target=args.hotelagg_target, hotelagg_webhook_url=args.hotelagg_webhook_url,
        requests_per_minute=args.requests_per_minute, properties=args.properties,
        faults=FaultSettings(
            latency_ms=args.latency_ms, error_rate=args.error_rate, outage=args.outage,
            timeout_rate=args.timeout_rate, timeout_seconds=args.timeout_seconds,
            force_429=args.force_429, retry_after_seconds=args.retry_after,
        ),
        sell_rate=args.sell_rate, random_seed=args.random_seed, keep_history=args.keep_history,
    )


async def serve(args: argparse.Namespace) -> None:
    await serve_until_stopped(lambda: start(args.host, args.port, config_from(args)), log)


def main(argv: list[str] | None = None) -> None:
    configure_logging()
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
