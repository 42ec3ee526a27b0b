"""python -m servers serve|run|migrate|seed

  serve [--service NAME ...] [--port P]   serve some or all services (production: one per process)
  run                                     the embedded default: migrate, seed demo data, serve everything,
                                          with the sandbox channel manager beside it
  worker NAME [--once]                    one background job alone: hold-sweeper, channel-poller,
                                          booking-expiry, reconciliation, housekeeping (partner-delivery)
  migrate                                 upgrade the database to the latest schema
  seed                                    add the demo hotels (idempotent)
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from servers import bootstrap
from servers.runtime.config import SERVICE_NAMES, load_settings
from servers.runtime.logs import configure_logging
from servers.runtime.server import exit_now, serve_until_signalled
from servers.storage.database import Database
from servers.storage.migrate import upgrade

log = logging.getLogger("hotelagg")


async def _serve(services: list[str], port: int | None) -> None:
    settings = load_settings()
    running = await bootstrap.start(settings, services, port)
    print(f"hotelagg serving {', '.join(services)} on {settings.host}:{running.port}", flush=True)
    if not await serve_until_signalled(running, settings.shutdown_grace_seconds):
        exit_now()


async def _seed() -> int:
    from servers.seed import seed

    db = Database(load_settings().database_url)
    try:
        return await seed(db)
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m servers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve some or all services")
    serve.add_argument("--service", action="append", choices=SERVICE_NAMES,
                       help="a service to serve (repeatable); default: all")
    serve.add_argument("--port", type=int, help="default: HOTELAGG_PORT (50051)")
    commands.add_parser("run", help="the embedded default: migrate, seed, serve everything")
    worker = commands.add_parser("worker", help="run one background job on its own")
    worker.add_argument("name", help="hold-sweeper, channel-poller, booking-expiry, reconciliation, housekeeping "
                                     "or partner-delivery")
    worker.add_argument("--once", action="store_true", help="run it once and exit")
    commands.add_parser("migrate", help="upgrade the database schema")
    commands.add_parser("seed", help="add the demo data")
    args = parser.parse_args(argv)

    settings = load_settings()
    configure_logging(settings.log_level)
    if args.command in ("migrate", "run"):
        upgrade(settings.database_url)
        log.info("database migrated")
    if args.command in ("seed", "run"):
        added = asyncio.run(_seed())
        print(f"seeded {added} demo hotels", flush=True)
    if args.command == "serve":
        asyncio.run(_serve(args.service or list(SERVICE_NAMES), args.port))
    elif args.command == "worker":
        asyncio.run(bootstrap.run_worker(settings, args.name, args.once))
    elif args.command == "run":
        from servers.embedded import run

        asyncio.run(run(settings))


if __name__ == "__main__":
    main()
