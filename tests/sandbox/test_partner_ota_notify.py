"""ota_xml partners tell hotelagg with OTA_HotelResNotifRQ: the XML, the key, retries and refusals."""

from __future__ import annotations

import asyncio

import pytest_asyncio

from tests.sandbox.partner_helpers import (
    NS,
    FakeOtaWebhook,
    OtaAnswer,
    avail_message,
    avail_rq,
    day,
    eventually,
    start_partner,
    stay,
)


def _find(root, path: str):
    return root.find("/".join(f"{{{NS}}}{tag}" for tag in path.split("/")))


@pytest_asyncio.fixture
async def webhook():
    hook = FakeOtaWebhook()
    await hook.start()
    yield hook
    await hook.stop()


@pytest_asyncio.fixture
async def partner(webhook):
    p = await start_partner(protocol="ota_xml", partner_id="ota-one", api_key="key-ota",
                            hotelagg_webhook_url=webhook.url + "/", requests_per_minute=0)
    await p.ota("OTA_HotelAvailNotifRQ", avail_rq("P1", avail_message(0, 2, limit="2")))
    yield p
    await p.close()


async def test_a_sale_posts_res_notif_with_the_key(partner, webhook):
    status, body = await partner.post("/admin/reservations", stay(reservation_id="R1", guest_name="Ada King Lovelace"))
    assert status == 201
    assert body == {"reservation_id": "R1", "revision": 1, "status": "BOOKED", "notified": True,
                    "booking_id": "B-OTA-1", "over_capacity": False, "error": None}
    root, headers, partner_id, _ = webhook.received[0]
    assert partner_id == "ota-one" and headers["X-Api-Key"] == "key-ota"
    assert headers["Content-Type"].startswith("application/xml")
    assert root.tag == f"{{{NS}}}OTA_HotelResNotifRQ" and root.get("EchoToken") == "R1:1"
    reservation = _find(root, "HotelReservations/HotelReservation")
    assert reservation.get("ResStatus") == "Book"
    assert _find(reservation, "UniqueID").attrib == {"Type": "14", "ID": "R1", "Instance": "1"}
    room_stay = _find(reservation, "RoomStays/RoomStay")
    assert _find(room_stay, "RoomTypes/RoomType").attrib == {"RoomTypeCode": "DBL", "NumberOfUnits": "1"}
    assert _find(room_stay, "GuestCounts/GuestCount").get("Count") == "2"
    assert _find(room_stay, "TimeSpan").attrib == {"Start": day(0), "End": day(2)}
    assert _find(room_stay, "Total").attrib == {"AmountAfterTax": "24000", "DecimalPlaces": "2",
                                                "CurrencyCode": "EUR"}
    assert _find(room_stay, "BasicPropertyInfo").get("HotelCode") == "P1"
    name = _find(reservation, "ResGuests/ResGuest/Profiles/ProfileInfo/Profile/Customer/PersonName")
    assert (_find(name, "GivenName").text, _find(name, "Surname").text) == ("Ada King", "Lovelace")
    nights = (await partner.inventory())["P1"]["DBL"]
    assert [nights[day(i)]["available"] for i in range(3)] == [1, 1, 2]


async def test_modify_and_cancel_send_modify_and_cancel(partner, webhook):
    await partner.post("/admin/reservations", stay(reservation_id="R1"))
    await partner.post("/admin/reservations/R1/modify", {"check_out": day(3)})
    await partner.post("/admin/reservations/R1/cancel")
    sent = [(r.get("EchoToken"), _find(r, "HotelReservations/HotelReservation").get("ResStatus"),
             _find(r, "HotelReservations/HotelReservation/UniqueID").get("Instance")) for r, *_ in webhook.received]
    assert sent == [("R1:1", "Book", "1"), ("R1:2", "Modify", "2"), ("R1:3", "Cancel", "3")]


async def test_over_capacity_warning_is_recorded(partner, webhook):
    webhook.over_capacity = True
    _, body = await partner.post("/admin/reservations", stay(reservation_id="R1"))
    assert body["notified"] and body["over_capacity"] is True


async def test_503_and_429_are_retried_honouring_retry_after(partner, webhook):
    webhook.answers = [OtaAnswer(503, "UNAVAILABLE"), OtaAnswer(429, "RATE_LIMITED", retry_after="1")]
    _, body = await partner.post("/admin/reservations", stay(reservation_id="R1"))
    assert body["notified"] is False and body["error"] == {"code": "HTTP_503", "reason": "UNAVAILABLE",
                                                           "message": "refused"}

    async def accepted() -> bool:
        return (await partner.reservation("R1"))["notify"]["state"] == "accepted"

    await eventually(accepted)
    notify = (await partner.reservation("R1"))["notify"]
    assert (notify["attempts"], notify["booking_id"]) == (3, "B-OTA-1")
    # FAST_RETRY caps what hotelagg asks for at 0.3 s: the 1 s Retry-After was honoured up to the cap.
    assert webhook.received[2][3] - webhook.received[1][3] >= 0.3
    assert {r.get("EchoToken") for r, *_ in webhook.received} == {"R1:1"}


async def test_a_4xx_refusal_is_recorded_and_not_retried(partner, webhook):
    webhook.answers = [OtaAnswer(404, "UNKNOWN_LISTING")]
    _, body = await partner.post("/admin/reservations", stay(reservation_id="R1"))
    assert body["notified"] is False and body["error"]["code"] == "HTTP_404"
    assert body["error"]["reason"] == "UNKNOWN_LISTING"
    await asyncio.sleep(0.3)
    notify = (await partner.reservation("R1"))["notify"]
    assert (notify["state"], notify["attempts"]) == ("refused", 1) and len(webhook.received) == 1


async def test_an_unreachable_hotelagg_is_retried_until_it_answers():
    webhook = FakeOtaWebhook()
    await webhook.start()
    url = webhook.url
    await webhook.stop()  # nothing listens there now
    partner = await start_partner(protocol="ota_xml", hotelagg_webhook_url=url)
    try:
        _, body = await partner.post("/admin/reservations", stay(reservation_id="R1"))
        assert body["notified"] is False and body["error"]["code"] == "CONNECTION_FAILED"

        async def retried() -> bool:
            return (await partner.reservation("R1"))["notify"]["attempts"] >= 3

        await eventually(retried)
        assert (await partner.reservation("R1"))["notify"]["state"] == "pending"
    finally:
        await partner.close()
