"""ota_xml ARI receipt: inclusive ranges expanded to nights, avail and rates merged, replays, Errors."""

from __future__ import annotations

import pytest
import pytest_asyncio

from tests.sandbox.partner_helpers import (
    avail_message,
    avail_rq,
    day,
    ota_outcome,
    rate_message,
    rates_rq,
    start_partner,
)

AVAIL, RATES = "OTA_HotelAvailNotifRQ", "OTA_HotelRateAmountNotifRQ"
STAYS = ('<LengthsOfStay><LengthOfStay MinMaxMessageType="SetMinLOS" Time="2"/>'
         '<LengthOfStay MinMaxMessageType="SetMaxLOS" Time="7"/></LengthsOfStay>')
CLOSED_DEPARTURE = ('<RestrictionStatus Restriction="Master" Status="Open"/>'
                    '<RestrictionStatus Restriction="Arrival" Status="Open"/>'
                    '<RestrictionStatus Restriction="Departure" Status="Close"/>')


@pytest_asyncio.fixture
async def partner():
    p = await start_partner(protocol="ota_xml", requests_per_minute=0)
    yield p
    await p.close()


async def test_avail_ranges_are_inclusive_and_expand_to_nights(partner):
    xml = avail_rq("P1", avail_message(0, 2, limit="3", inner=STAYS + CLOSED_DEPARTURE)
                   + avail_message(3, 3, limit="0", inner='<RestrictionStatus Restriction="Master" Status="Close"/>'))
    status, root, _ = await partner.ota(AVAIL, xml)
    assert status == 200 and ota_outcome(root) == (True, [], [])
    assert root.tag.endswith("OTA_HotelAvailNotifRS") and root.get("EchoToken") == "K1:avail"
    nights = (await partner.inventory())["P1"]["DBL"]
    assert sorted(nights) == [day(0), day(1), day(2), day(3)]
    assert nights[day(2)] == {"available": 3, "price_minor": None, "currency": None, "min_stay": 2,
                              "max_stay": 7, "closed_to_arrival": False, "closed_to_departure": True,
                              "stop_sell": False}
    assert nights[day(3)]["available"] == 0 and nights[day(3)]["stop_sell"]
    assert nights[day(3)]["min_stay"] == 0 and nights[day(3)]["max_stay"] == 0  # absent: no limit
    stats = await partner.stats()
    assert stats["applied"] == 1 and stats["by_property"]["P1"] == {"requests": 1, "applied": 1}
    assert (await partner.get("/admin/requests"))[1]["requests"][0]["nights"] == 4


async def test_rates_and_avail_set_their_own_fields_of_a_night(partner):
    status, root, _ = await partner.ota(RATES, rates_rq("P1", rate_message(0, 1, amount="12050")))
    assert status == 200 and ota_outcome(root) == (True, [], [])
    await partner.ota(AVAIL, avail_rq("P1", avail_message(1, 2, limit="4")))
    nights = (await partner.inventory())["P1"]["DBL"]
    assert nights[day(0)]["price_minor"] == 12050 and nights[day(0)]["currency"] == "EUR"
    assert nights[day(0)]["available"] == 0  # no avail message for it yet
    assert (nights[day(1)]["price_minor"], nights[day(1)]["available"]) == (12050, 4)  # merged
    assert (nights[day(2)]["price_minor"], nights[day(2)]["available"]) == (None, 4)
    await partner.ota(AVAIL, avail_rq("P1", avail_message(1, 1, limit="1"), echo="K2:avail"))
    assert (await partner.inventory())["P1"]["DBL"][day(1)]["price_minor"] == 12050  # avail left the rate


async def test_a_replayed_echo_token_answers_success_with_a_warning_and_changes_nothing(partner):
    await partner.ota(AVAIL, avail_rq("P1", avail_message(0, 0, limit="3"), echo="K1:avail"))
    status, root, _ = await partner.ota(AVAIL, avail_rq("P1", avail_message(0, 0, limit="9"), echo="K1:avail"))
    assert status == 200 and ota_outcome(root) == (True, ["REPLAY"], [])
    assert (await partner.inventory())["P1"]["DBL"][day(0)]["available"] == 3
    # The same token on the other message is another key.
    status, root, _ = await partner.ota(RATES, rates_rq("P1", rate_message(0, 0), echo="K1:avail"))
    assert ota_outcome(root) == (True, [], [])
    stats = await partner.stats()
    assert (stats["requests"], stats["applied"], stats["replays"]) == (3, 2, 1)


MALFORMED = [
    (AVAIL, "<OTA_HotelAvailNotifRQ", "not XML"),
    (AVAIL, '<OTA_HotelAvailNotifRQ EchoToken="a"/>', "no OTA namespace"),
    (AVAIL, rates_rq("P1", rate_message(0, 0)), "the other message's root"),
    (AVAIL, avail_rq("P1", avail_message(0, 0), echo=None), "no EchoToken"),
    (AVAIL, avail_rq("P1", ""), "no AvailStatusMessage"),
    (AVAIL, avail_rq("P1", avail_message(2, 1)), "End before Start"),
    (AVAIL, avail_rq("P1", avail_message(0, 0, limit="-1")), "negative BookingLimit"),
    (AVAIL, avail_rq("P1", avail_message(0, 0, limit="")), "no BookingLimit"),
    (AVAIL, avail_rq("P1", avail_message(0, 2) + avail_message(2, 3)), "a night covered twice"),
    (AVAIL, avail_rq("P1", avail_message(0, 0, inner='<RestrictionStatus Restriction="Master" Status="Shut"/>')),
     "unknown Status"),
    (AVAIL, avail_rq("P1", avail_message(0, 0, inner='<LengthsOfStay><LengthOfStay MinMaxMessageType='
                                                  '"SetForwardMinStay" Time="2"/></LengthsOfStay>')),
     "unsupported MinMaxMessageType"),
    (RATES, rates_rq("P1", rate_message(0, 0, decimals="3")), "DecimalPlaces 3"),
    (RATES, rates_rq("P1", rate_message(0, 0, decimals="0")), "DecimalPlaces 0"),
    (RATES, rates_rq("P1", rate_message(0, 0, amount="120.50")), "a decimal amount"),
    (RATES, rates_rq("P1", rate_message(0, 0, currency="euro")), "a bad currency"),
    (RATES, rates_rq("P 1", rate_message(0, 0)), "a bad HotelCode"),
]


@pytest.mark.parametrize(("message", "xml", "why"), MALFORMED, ids=[m[2] for m in MALFORMED])
async def test_malformed_messages_answer_errors_and_change_nothing(partner, message, xml, why):
    status, root, _ = await partner.ota(message, xml)
    assert status == 200
    assert ota_outcome(root) == (False, [], ["INVALID_REQUEST"])
    assert await partner.inventory() == {}
    assert (await partner.stats())["rejected"] == 1


async def test_entities_are_never_expanded(partner):
    bomb = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            + avail_rq("P1", avail_message(0, 0)).replace('HotelCode="P1"', 'HotelCode="&b;"'))
    status, root, _ = await partner.ota(AVAIL, bomb)
    assert status == 200 and ota_outcome(root)[2] == ["INVALID_REQUEST"]


async def test_wrong_content_type_and_unknown_messages(partner):
    status, root, _ = await partner.ota(AVAIL, avail_rq("P1", avail_message(0, 0)), content_type="text/plain")
    assert status == 200 and ota_outcome(root)[2] == ["INVALID_REQUEST"]
    status, root, _ = await partner.ota(AVAIL, avail_rq("P1", avail_message(0, 0)), content_type="text/xml")
    assert ota_outcome(root) == (True, [], [])
    status, _, _ = await partner.ota("OTA_HotelResNotifRQ", "<x/>")
    assert status == 404


async def test_a_partner_with_a_property_list_answers_unknown_codes_with_errors():
    partner = await start_partner(protocol="ota_xml", properties={"P1": frozenset({"DBL"})})
    try:
        _, root, _ = await partner.ota(AVAIL, avail_rq("P9", avail_message(0, 0)))
        assert ota_outcome(root) == (False, [], ["UNKNOWN_PROPERTY"])
        _, root, _ = await partner.ota(RATES, rates_rq("P1", rate_message(0, 0, room_code="STD")))
        assert ota_outcome(root) == (False, [], ["UNKNOWN_ROOM"])
        _, root, _ = await partner.ota(RATES, rates_rq("P1", rate_message(0, 0)))
        assert ota_outcome(root) == (True, [], [])
    finally:
        await partner.close()
