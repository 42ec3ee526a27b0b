"""The webhook receiver: the one HTTP surface, where channel managers push their events.

Untrusted and at-least-once (ARCHITECTURE §5.6): the signature header and its timestamp are checked
before the body is read (bounded in size and time), the HMAC over it right after; the answer is 200 only
once the event is durable (applied, or recorded to wait for a missing earlier one), so a channel manager
retries anything we could not keep.
"""

from __future__ import annotations

import json
import logging
import time

from aiohttp import web

from clients.channel_managers import header_in_time, parse_event, verify_signature
from servers.inventory.flows.apply_queue import ApplyQueue
from servers.inventory.flows.mirror import Mirror
from servers.inventory.store.catalog import hotel_by_code
from servers.runtime.bodies import BodyRefused, read_body
from servers.runtime.config import ChannelManagerSettings
from servers.storage.database import Database

log = logging.getLogger("hotelagg.inventory.webhooks")

SIGNATURE_HEADER = "X-CM-Signature"
MAX_BODY = 4 * 1024 * 1024
# One event: a snapshot of a year of nights is ~60 KB; what is far beyond is no event we take.
MAX_EVENT_BODY = 512 * 1024
BODY_READ_TIMEOUT_SECONDS = 10.0


def webhook_path(channel_manager_id: str) -> str:
    return f"/webhooks/channel-managers/{channel_manager_id}"


def create_webhook_app(db: Database, mirror: Mirror, channel_managers: dict[str, ChannelManagerSettings],
                       tolerance_seconds: int) -> web.Application:
    queue = ApplyQueue(db, mirror)
    hotels = HotelsByCode(db)

    async def receive(request: web.Request) -> web.Response:
        source = request.match_info["channel_manager_id"]
        settings = channel_managers.get(source)
        if settings is None:
            return _error(404, "unknown_channel_manager")
        raw = await _signed_body(request, settings.webhook_secret, tolerance_seconds)
        if isinstance(raw, web.Response):
            return raw
        body = None
        try:
            body = json.loads(raw)
            event = parse_event(body)
        except (ValueError, RecursionError) as error:  # MalformedAnswer is a ValueError; deep nesting recurses
            await poll_after_refusal(source, body, str(error))
            return _error(400, "bad_event", str(error))
        hotel = await hotels.find(source, event.hotel_code)
        if hotel is None:
            # Not a hotel we sell: acknowledge, or the channel manager would retry for nothing.
            return web.json_response({"status": "ignored", "reason": "unknown hotel"})
        return web.json_response(await queue.apply(hotel, event))

    async def poll_after_refusal(source: str, body: object, problem: str) -> None:
        """A signed event we refuse still says its hotel changed: the poll reads the feed, finds the
        event unreadable there too and reloads the hotel whole, instead of waiting for the next round."""
        hotel_code = body.get("hotel_code") if isinstance(body, dict) else None
        hotel = await hotels.find(source, hotel_code) if isinstance(hotel_code, str) else None
        log.warning("webhook refused: an event we cannot apply",
                    extra={"hotel_id": getattr(hotel, "id", None), "error": problem})
        if hotel is not None:
            mirror.on_gap(hotel.id)

    app = bare_webhook_app()
    app.router.add_post("/webhooks/channel-managers/{channel_manager_id}", receive)
    return app


async def _signed_body(request: web.Request, secret: str, tolerance_seconds: int) -> bytes | web.Response:
    """The body if the channel manager signed it, else the refusal to send."""
    header = request.headers.get(SIGNATURE_HEADER)
    # Nothing of an unknown sender's body is read before its header could be a signature in time.
    if not header_in_time(header, time.time(), tolerance_seconds):
        log.warning("webhook refused: no well-formed signature in time")
        return _error(401, "bad_signature")
    try:
        raw = await read_body(request, MAX_EVENT_BODY, BODY_READ_TIMEOUT_SECONDS)
    except BodyRefused as refused:
        return _error(refused.status, refused.code, refused.message)
    if not verify_signature(secret, header, raw, time.time(), tolerance_seconds):
        log.warning("webhook refused: bad signature or stale timestamp")
        return _error(401, "bad_signature")
    return raw


async def health(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def bare_webhook_app() -> web.Application:
    """The receiver with only its health check; each service adds the routes it answers."""
    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_get("/health", health)
    return app


class HotelsByCode:
    """Our hotel for a channel manager's hotel code, kept a minute: every webhook needs it."""

    def __init__(self, db: Database, ttl_seconds: float = 60.0) -> None:
        self.db = db
        self.ttl = ttl_seconds
        self._known: dict[tuple[str, str], tuple[float, object]] = {}

    async def find(self, source: str, hotel_code: str):
        known = self._known.get((source, hotel_code))
        if known is not None and time.monotonic() - known[0] < self.ttl:
            return known[1]
        async with self.db.reading() as conn:
            hotel = await hotel_by_code(conn, source, hotel_code)
        if hotel is not None:
            self._known[(source, hotel_code)] = (time.monotonic(), hotel)
        return hotel


def _error(status: int, code: str, message: str = "") -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


async def start_webhook_server(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_port=True)
    await site.start()
    bound = runner.addresses[0][1]  # the real port when asked for 0
    return runner, bound
