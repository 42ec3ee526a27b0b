"""Sandbox-only routes (no API key, no faults): load hotels and ARI, steer faults and competitors, read stats."""

from __future__ import annotations

from aiohttp import web

from ..common.faults import add_fault_routes
from .plumbing import COMPETITORS, CONFIG, PUSHER, STATE, answer
from .validation import parse_ari_update, parse_hotel, parse_json, parse_unchecked_event


async def put_hotel(request: web.Request) -> web.Response:
    spec = parse_hotel(parse_json(await request.read()))
    hotel = request.app[STATE].put_hotel(spec)
    return answer({**hotel.to_json(), "sequence": hotel.sequence}, 201)


async def set_ari(request: web.Request) -> web.Response:
    hotel_code, room_type_code, updates = parse_ari_update(parse_json(await request.read()))
    sequence = request.app[STATE].set_nights(hotel_code, room_type_code, updates)
    return answer({"sequence": sequence})


async def emit_unchecked_event(request: web.Request) -> web.Response:
    hotel_code, kind, change = parse_unchecked_event(parse_json(await request.read()))
    return answer({"sequence": request.app[STATE].emit_unchecked(hotel_code, kind, change)})


async def get_competitors(request: web.Request) -> web.Response:
    return answer(request.app[CONFIG].competitors.to_json())


async def set_competitors(request: web.Request) -> web.Response:
    settings = request.app[CONFIG].competitors
    settings.update(parse_json(await request.read()), set(request.app[STATE].hotels))
    return answer(settings.to_json())


async def stats(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return answer({
        "reservations": state.reservation_counts(),
        "webhooks": request.app[PUSHER].stats(),
        "events": state.event_count,
        "competitors": {"live_confirmed": len(request.app[COMPETITORS].confirmed)},
        "idempotency_keys": len(state.idempotency),
    })


def add_routes(app: web.Application) -> None:
    app.router.add_post("/admin/hotels", put_hotel)
    app.router.add_post("/admin/ari", set_ari)
    app.router.add_post("/admin/unchecked-events", emit_unchecked_event)
    add_fault_routes(app, CONFIG, parse_json)
    app.router.add_get("/admin/competitors", get_competitors)
    app.router.add_post("/admin/competitors", set_competitors)
    app.router.add_get("/admin/stats", stats)
