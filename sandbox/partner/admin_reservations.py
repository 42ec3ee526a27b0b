"""`/admin/reservations`: the partner sells, modifies and cancels rooms, and tells hotelagg each time."""

from __future__ import annotations

import dataclasses

from aiohttp import web

from ..common.http import answer
from .model import invalid
from .notifier import ACCEPTED, Verdict
from .plumbing import NOTIFIER, STATE
from .reservations import Reservation, Stay
from .validation import CODE, CURRENCY, MAX_MINOR, get_date, get_int, get_str, parse_json, reject_unknown

MAX_NIGHTS = 365
MAX_ROOMS = 100
MAX_GUESTS = 400
STAY_FIELDS = tuple(f.name for f in dataclasses.fields(Stay))
CHANGEABLE = ("check_in", "check_out", "rooms", "guests", "total_minor")


def parse_stay(body: dict) -> tuple[str | None, Stay]:
    reject_unknown(body, ("reservation_id", *STAY_FIELDS))
    reservation_id = get_str(body, "reservation_id", default=None, pattern=CODE)
    stay = Stay(
        property_code=get_str(body, "property_code", pattern=CODE),
        room_code=get_str(body, "room_code", pattern=CODE),
        check_in=get_date(body, "check_in"), check_out=get_date(body, "check_out"),
        rooms=get_int(body, "rooms", lo=1, hi=MAX_ROOMS),
        guests=get_int(body, "guests", lo=1, hi=MAX_GUESTS),
        guest_name=get_str(body, "guest_name"),
        total_minor=get_int(body, "total_minor", lo=0, hi=MAX_MINOR),
        currency=get_str(body, "currency", pattern=CURRENCY),
    )
    return reservation_id, checked(stay)


def parse_change(body: dict, stay: Stay) -> Stay:
    """The stay with the fields the body gives; at least one must be given."""
    reject_unknown(body, CHANGEABLE)
    if not body:
        raise invalid("body", f"give at least one of {', '.join(CHANGEABLE)}")
    return checked(dataclasses.replace(
        stay,
        check_in=get_date(body, "check_in", default=stay.check_in),
        check_out=get_date(body, "check_out", default=stay.check_out),
        rooms=get_int(body, "rooms", lo=1, hi=MAX_ROOMS, default=stay.rooms),
        guests=get_int(body, "guests", lo=1, hi=MAX_GUESTS, default=stay.guests),
        total_minor=get_int(body, "total_minor", lo=0, hi=MAX_MINOR, default=stay.total_minor),
    ))


def checked(stay: Stay) -> Stay:
    nights = (stay.check_out - stay.check_in).days
    if not 0 < nights <= MAX_NIGHTS:
        raise invalid("check_out", f"must be 1 to {MAX_NIGHTS} nights after check_in")
    return stay


def summary(reservation: Reservation, verdict: Verdict) -> dict:
    """How the change went, the first notification attempt included."""
    notify = reservation.notify
    return {"reservation_id": reservation.reservation_id, "revision": reservation.revision,
            "status": reservation.status, "notified": verdict.kind == ACCEPTED,
            "booking_id": notify.booking_id, "over_capacity": notify.over_capacity,
            "error": verdict.error if verdict.kind != ACCEPTED else None}


async def sell(request: web.Request) -> web.Response:
    reservation_id, stay = parse_stay(parse_json(await request.read()))
    reservation = request.app[STATE].reservations.book(stay, reservation_id)
    return answer(summary(reservation, await request.app[NOTIFIER].notify(reservation)), 201)


async def modify(request: web.Request) -> web.Response:
    book = request.app[STATE].reservations
    reservation = book.open(request.match_info["id"])
    stay = parse_change(parse_json(await request.read()), reservation.stay)
    reservation = book.modify(reservation.reservation_id, stay)
    return answer(summary(reservation, await request.app[NOTIFIER].notify(reservation)))


async def cancel(request: web.Request) -> web.Response:
    reservation = request.app[STATE].reservations.cancel(request.match_info["id"])
    return answer(summary(reservation, await request.app[NOTIFIER].notify(reservation)))


async def list_reservations(request: web.Request) -> web.Response:
    return answer({"reservations": [r.to_json() for r in request.app[STATE].reservations.all()]})


async def get_reservation(request: web.Request) -> web.Response:
    return answer(request.app[STATE].reservations.get(request.match_info["id"]).to_json())


def add_routes(app: web.Application) -> None:
    app.router.add_post("/admin/reservations", sell)
    app.router.add_get("/admin/reservations", list_reservations)
    app.router.add_get("/admin/reservations/{id}", get_reservation)
    app.router.add_post("/admin/reservations/{id}/modify", modify)
    app.router.add_post("/admin/reservations/{id}/cancel", cancel)
