"""OTA_HotelResNotifRQ on the webhook port: the same NotifyReservation, answered in OTA XML with an
HTTP status that tells a partner whether to try again."""

from __future__ import annotations

import dataclasses

import aiohttp
from hotelagg.partner.v1 import partner_pb2 as pb

from clients.partners import ResNotif, build_res_notif_rq, read_ota_answer
from tests.api.helpers import days_ahead, pb_date
from tests.api.partner_helpers import count, ledger_state, listed_hotel, rows, set_allowance, stay_nights

NOTIF = ResNotif(echo_token="E-1", status="BOOKED", reservation_id="OTA-1", revision=1, property_code="P1",
                 room_code="R1", check_in=days_ahead(10), check_out=days_ahead(12), rooms=1, guests=2,
                 guest_name="Ada Lovelace", total_minor=24000, currency="EUR")


async def _post(server, body: bytes, api_key: str | None, partner_id: str = "acme"):
    url = f"http://127.0.0.1:{server.system.webhook_port}/partners/{partner_id}/ota/OTA_HotelResNotifRQ"
    headers = {"Content-Type": "application/xml"}
    if api_key is not None:
        headers["X-Api-Key"] = api_key
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=body, headers=headers) as response:
            return response.status, read_ota_answer(await response.read()), dict(response.headers)


def _booking_id(answer) -> str:
    [found] = [node.get("ResID_Value") for node in answer.root.iter() if node.tag.endswith("HotelReservationID")]
    return found


async def test_booked_over_ota(server, channel, db):
    listed = await listed_hotel(channel, rooms=5)
    status, answer, headers = await _post(server, build_res_notif_rq(NOTIF), listed.api_key)
    assert status == 200, answer.errors
    assert (answer.name, answer.success, answer.echo_token, answer.warnings) == (
        "OTA_HotelResNotifRS", True, "E-1", ())
    assert headers["Content-Type"].startswith("application/xml")
    [booking] = await rows(db, "bookings")
    assert _booking_id(answer) == booking.id
    assert (booking.channel, booking.partner_reservation_id, booking.partner_revision, booking.rooms,
            booking.guests, booking.total_minor, booking.lead_guest) == (
        "acme", "OTA-1", 1, 1, 2, 24000, {"given_name": "Ada", "family_name": "Lovelace"})
    assert await stay_nights(db, 10, 2) == [(4, 0, 0)] * 2

    # Sent again (same token or a new one): the same booking, nothing taken twice.
    for echo in ("E-1", "E-1b"):
        status, again, _ = await _post(server, build_res_notif_rq(dataclasses.replace(NOTIF, echo_token=echo)),
                                       listed.api_key)
        assert (status, _booking_id(again), again.echo_token) == (200, booking.id, echo)
    assert await stay_nights(db, 10, 2) == [(4, 0, 0)] * 2

    cancel = dataclasses.replace(NOTIF, echo_token="E-2", status="CANCELLED", revision=2)
    status, answer, _ = await _post(server, build_res_notif_rq(cancel), listed.api_key)
    assert (status, _booking_id(answer)) == (200, booking.id)
    assert await stay_nights(db, 10, 2) == [(5, 0, 0)] * 2
    # The gRPC view of the same reservation agrees.
    late = await listed.notify(pb.PartnerReservation(
        partner_reservation_id="OTA-1", revision=1, status=pb.RESERVATION_STATUS_BOOKED,
        partner_property_code="P1", partner_room_code="R1", check_in=pb_date(days_ahead(10)),
        check_out=pb_date(days_ahead(12)),
        rooms=1, guests=2, guest_name="Ada Lovelace", total_amount={"currency_code": "EUR", "amount_minor": 24000}))
    assert (late.booking_id, late.revision) == (booking.id, 2)


async def _stored(db) -> dict[str, list[tuple]]:
    """What a refused notification must leave alone."""
    return {**await ledger_state(db),
            **{name: [tuple(r) for r in await rows(db, name)] for name in ("idempotency_keys", "partners", "listings")},
            "outbox": await count(db, "outbox")}


async def test_credentials_and_codes(server, channel, db):
    listed = await listed_hotel(channel)
    body = build_res_notif_rq(NOTIF)
    before = await _stored(db)
    # No key at all (absent or empty) is told apart from a wrong one, as over gRPC.
    for key, reason in ((None, "CREDENTIALS_REQUIRED"), ("", "CREDENTIALS_REQUIRED"), ("hpk_wrong", "BAD_CREDENTIALS"),
                        (listed.api_key[:-1], "BAD_CREDENTIALS")):
        status, answer, _ = await _post(server, body, key)
        assert (status, answer.success, [e.code for e in answer.errors]) == (401, False, [reason]), key
    assert await _stored(db) == before
    # Another partner's path with this key: not found, exactly like a partner that does not exist.
    status, answer, _ = await _post(server, body, listed.api_key, partner_id="other")
    assert (status, [e.code for e in answer.errors]) == (404, ["PARTNER_NOT_FOUND"])
    unknown = dataclasses.replace(NOTIF, room_code="NOPE")
    status, answer, _ = await _post(server, build_res_notif_rq(unknown), listed.api_key)
    assert (status, [e.code for e in answer.errors], answer.echo_token) == (404, ["LISTING_NOT_FOUND"], "E-1")
    assert await count(db, "bookings") == 0


async def test_malformed_messages(server, channel, db):
    listed = await listed_hotel(channel)
    before = await ledger_state(db)
    good = build_res_notif_rq(NOTIF).decode()
    bodies = [
        b"<not xml",
        b"<OTA_HotelAvailNotifRQ xmlns='http://www.opentravel.org/OTA/2003/05'/>",
        good.replace('CurrencyCode="EUR"', 'CurrencyCode="euro"').encode(),
        good.replace('DecimalPlaces="2"', 'DecimalPlaces="3"').encode(),
        good.replace('ResStatus="Book"', 'ResStatus="Maybe"').encode(),
        b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
    ]
    for body in bodies:
        status, answer, _ = await _post(server, body, listed.api_key)
        assert (status, answer.success) == (400, False), body
        assert answer.errors and answer.errors[0].code == "INVALID_FIELD"
    # The token of a message readable enough to have one is echoed.
    status, answer, _ = await _post(server, bodies[2], listed.api_key)
    assert answer.echo_token == "E-1"
    # Fields the ledger refuses: also 400.
    past = dataclasses.replace(NOTIF, check_in=days_ahead(-5), check_out=days_ahead(-3))
    status, answer, _ = await _post(server, build_res_notif_rq(past), listed.api_key)
    assert (status, [e.code for e in answer.errors]) == (400, ["INVALID_FIELD"])
    assert await ledger_state(db) == before


async def test_over_capacity_and_beyond(server, channel, db):
    listed = await listed_hotel(channel, rooms=2)
    await set_allowance(db, 1)
    status, answer, _ = await _post(server, build_res_notif_rq(dataclasses.replace(NOTIF, rooms=3)), listed.api_key)
    assert (status, answer.success, [w.code for w in answer.warnings]) == (200, True, ["OVER_CAPACITY"])
    assert await stay_nights(db, 10, 2) == [(0, 0, 1)] * 2
    before = await ledger_state(db)
    more = dataclasses.replace(NOTIF, echo_token="E-2", reservation_id="OTA-2")
    status, answer, _ = await _post(server, build_res_notif_rq(more), listed.api_key)
    assert (status, [e.code for e in answer.errors]) == (409, ["OVERBOOKING_LIMIT_EXCEEDED"])
    wrong_money = dataclasses.replace(NOTIF, echo_token="E-3", reservation_id="OTA-3", currency="USD")
    status, answer, _ = await _post(server, build_res_notif_rq(wrong_money), listed.api_key)
    assert (status, [e.code for e in answer.errors]) == (409, ["CURRENCY_MISMATCH"])
    assert await ledger_state(db) == before


async def test_rate_limited_over_ota(server, channel, db):
    listed = await listed_hotel(channel, rate_limit=pb.RateLimit(inbound_requests_per_minute=1))
    status, _, _ = await _post(server, build_res_notif_rq(NOTIF), listed.api_key)
    assert status == 200
    status, answer, headers = await _post(server, build_res_notif_rq(NOTIF), listed.api_key)
    assert (status, [e.code for e in answer.errors]) == (429, ["RATE_LIMITED"])
    assert 1 <= int(headers["Retry-After"]) <= 60


async def test_oversized_bodies_are_refused(server, channel, db):
    listed = await listed_hotel(channel)
    padded = build_res_notif_rq(NOTIF) + b" " * (300 * 1024)  # well-formed, only too big
    for body in (padded, b" " * (5 * 1024 * 1024)):
        status, answer, _ = await _post(server, body, listed.api_key)
        assert (status, [e.code for e in answer.errors]) == (413, ["BODY_TOO_LARGE"]), len(body)
    assert await count(db, "bookings") == 0


async def test_numbers_out_of_range_are_refused(server, channel, db):
    """Values no field can hold are the partner's mistake (400, no retry), never a 500 (issue 14, item 16)."""
    listed = await listed_hotel(channel)
    before = await _stored(db)
    good = build_res_notif_rq(NOTIF).decode()
    cases = {
        "revision past 32 bits": good.replace('Instance="1"', f'Instance="{2**31}"'),
        "revision of 5000 digits": good.replace('Instance="1"', f'Instance="{"9" * 5000}"'),
        "rooms past 32 bits": good.replace('NumberOfUnits="1"', f'NumberOfUnits="{2**31}"'),
        "amount past 64 bits": good.replace('AmountAfterTax="24000"', f'AmountAfterTax="{2**63}"'),
        "guests past 32 bits": good.replace('Count="2"', f'Count="{2**31}"'),
    }
    for case, body in cases.items():
        assert body != good, case
        status, answer, _ = await _post(server, body.encode(), listed.api_key)
        assert (status, [e.code for e in answer.errors]) == (400, ["INVALID_FIELD"]), case
    assert await _stored(db) == before


async def test_a_body_that_trickles_in_is_given_up_on(server, channel, db, monkeypatch):
    """A partner's connection is not held open by a body that never finishes (issue 14, item 16)."""
    import asyncio

    from servers.partner import ota_http

    monkeypatch.setattr(ota_http, "BODY_READ_TIMEOUT_SECONDS", 0.5)
    listed = await listed_hotel(channel)
    body = build_res_notif_rq(NOTIF)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.system.webhook_port)
    try:
        head = (f"POST /partners/acme/ota/OTA_HotelResNotifRQ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"X-Api-Key: {listed.api_key}\r\nContent-Type: application/xml\r\nContent-Length: {len(body)}\r\n\r\n")
        writer.write(head.encode() + body[:20])
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 30)  # bounded: the answer must not wait for the rest
    finally:
        writer.close()
    assert int(status_line.split()[1]) == 408
    assert await count(db, "bookings") == 0
