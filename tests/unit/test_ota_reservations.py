"""The OTA reservation codec: OTA_HotelResNotifRQ in, OTA_HotelResNotifRS out (sandbox/partner/PROTOCOL.md)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clients.partners import (
    OtaFormatError,
    ResNotif,
    build_res_notif_rq,
    parse_res_notif,
    read_ota_answer,
    res_notif_error,
    res_notif_success,
)

NS = "http://www.opentravel.org/OTA/2003/05"
Q = f"{{{NS}}}"

# The protocol's own example, verbatim but for ResStatus.
SPEC_EXAMPLE = f"""<?xml version="1.0" encoding="UTF-8"?>
<OTA_HotelResNotifRQ xmlns="{NS}" EchoToken="R1:2" TimeStamp="2026-11-25T10:00:00Z" Version="1.0">
  <HotelReservations>
    <HotelReservation ResStatus="Book">
      <UniqueID Type="14" ID="R1" Instance="2"/>
      <RoomStays><RoomStay>
        <RoomTypes><RoomType RoomTypeCode="DBL" NumberOfUnits="1"/></RoomTypes>
        <GuestCounts><GuestCount Count="2"/></GuestCounts>
        <TimeSpan Start="2026-12-01" End="2026-12-03"/>
        <Total AmountAfterTax="24000" DecimalPlaces="2" CurrencyCode="EUR"/>
        <BasicPropertyInfo HotelCode="PROP1"/>
      </RoomStay></RoomStays>
      <ResGuests><ResGuest><Profiles><ProfileInfo><Profile><Customer><PersonName>
        <GivenName>Ada</GivenName><Surname>Lovelace</Surname>
      </PersonName></Customer></Profile></ProfileInfo></Profiles></ResGuest></ResGuests>
    </HotelReservation>
  </HotelReservations>
</OTA_HotelResNotifRQ>"""

EXPECTED = ResNotif(
    echo_token="R1:2", status="BOOKED", reservation_id="R1", revision=2, property_code="PROP1",
    room_code="DBL", check_in=dt.date(2026, 12, 1), check_out=dt.date(2026, 12, 3), rooms=1, guests=2,
    guest_name="Ada Lovelace", total_minor=24000, currency="EUR",
)


def edited(old: str, new: str) -> bytes:
    assert old in SPEC_EXAMPLE, old
    return SPEC_EXAMPLE.replace(old, new).encode()


def test_the_spec_example_parses() -> None:
    assert parse_res_notif(SPEC_EXAMPLE.encode()) == EXPECTED


@pytest.mark.parametrize(("res_status", "status"), [("Book", "BOOKED"), ("Commit", "BOOKED"),
                                                    ("Modify", "MODIFIED"), ("Cancel", "CANCELLED")])
def test_res_status(res_status, status) -> None:
    assert parse_res_notif(edited('ResStatus="Book"', f'ResStatus="{res_status}"')).status == status


def test_lenient_where_nothing_is_lost() -> None:
    several = parse_res_notif(edited('<GuestCount Count="2"/>', '<GuestCount Count="2"/><GuestCount Count="1"/>'))
    assert several.guests == 3
    other_ids = parse_res_notif(edited('<UniqueID Type="14"', '<UniqueID Type="10" ID="X"/><UniqueID Type="14"'))
    assert other_ids.reservation_id == "R1"
    single_name = parse_res_notif(edited("<GivenName>Ada</GivenName>", ""))
    assert single_name.guest_name == "Lovelace"
    two_given = parse_res_notif(edited(
        "<GivenName>Ada</GivenName>", "<GivenName>Ada</GivenName><GivenName> King </GivenName>"))
    assert two_given.guest_name == "Ada King Lovelace"
    assert parse_res_notif(edited(f' xmlns="{NS}"', "")) == EXPECTED
    assert parse_res_notif(edited("Count=\"2\"", "Count=\"12\"")).guests == 12


MALFORMED = [
    ("OTA_HotelResNotifRQ", "OTA_HotelResNotifRS", "body"),
    ('EchoToken="R1:2"', "", "echo_token"),
    ('EchoToken="R1:2"', 'EchoToken="  "', "echo_token"),
    ("<HotelReservations>", "<HotelReservations><HotelReservation ResStatus=\"Book\"/>", "hotel_reservation"),
    ('ResStatus="Book"', 'ResStatus="Hold"', "status"),
    ('ResStatus="Book"', 'ResStatus="book"', "status"),
    ('ResStatus="Book"', "", "status"),
    ('Type="14"', 'Type="10"', "reservation_id"),
    ('<UniqueID Type="14"', '<UniqueID Type="14" ID="R0" Instance="1"/><UniqueID Type="14"', "reservation_id"),
    ('ID="R1"', 'ID=""', "reservation_id"),
    ('Instance="2"', 'Instance="0"', "revision"),
    ('Instance="2"', 'Instance="-2"', "revision"),
    ('Instance="2"', 'Instance="two"', "revision"),
    ('Instance="2"', 'Instance="2.0"', "revision"),
    ('Instance="2"', "", "revision"),
    ("<RoomStays><RoomStay>", "<RoomStays><RoomStay/><RoomStay>", "room_stay"),
    ('RoomTypeCode="DBL"', "", "room_code"),
    ("<RoomTypes>", '<RoomTypes><RoomType RoomTypeCode="SGL" NumberOfUnits="1"/>', "room_code"),
    ('NumberOfUnits="1"', 'NumberOfUnits="0"', "rooms"),
    ('NumberOfUnits="1"', 'NumberOfUnits="+1"', "rooms"),
    ('NumberOfUnits="1"', "", "rooms"),
    ('<GuestCount Count="2"/>', "", "guests"),
    ('Count="2"', 'Count="0"', "guests"),
    ('Count="2"', 'Count="1_0"', "guests"),
    ("<GuestCounts><GuestCount Count=\"2\"/></GuestCounts>", "", "guests"),
    ('Start="2026-12-01"', 'Start="2026-13-01"', "check_in"),
    ('Start="2026-12-01"', 'Start="20261201"', "check_in"),
    ('Start="2026-12-01"', "", "check_in"),
    ('<TimeSpan Start="2026-12-01" End="2026-12-03"/>', "", "check_in"),
    ('End="2026-12-03"', 'End="2026-12-01"', "check_out"),
    ('End="2026-12-03"', 'End="2026-11-30"', "check_out"),
    ('End="2026-12-03"', 'End="2026-12-3"', "check_out"),
    ('AmountAfterTax="24000"', 'AmountAfterTax="240.00"', "total_minor"),
    ('AmountAfterTax="24000"', 'AmountAfterTax="-24000"', "total_minor"),
    ('AmountAfterTax="24000"', "", "total_minor"),
    ('DecimalPlaces="2"', 'DecimalPlaces="0"', "total_minor"),
    ('DecimalPlaces="2"', "", "total_minor"),
    ('<Total AmountAfterTax="24000" DecimalPlaces="2" CurrencyCode="EUR"/>', "", "total_minor"),
    ('CurrencyCode="EUR"', 'CurrencyCode="eur"', "currency"),
    ('CurrencyCode="EUR"', 'CurrencyCode="EURO"', "currency"),
    ('CurrencyCode="EUR"', "", "currency"),
    ('HotelCode="PROP1"', 'HotelCode=""', "property_code"),
    ('<BasicPropertyInfo HotelCode="PROP1"/>', "", "property_code"),
    ("<Surname>Lovelace</Surname>", "<Surname> </Surname>", "guest_name"),
    ("<Surname>Lovelace</Surname>", "", "guest_name"),
    ("<Surname>Lovelace</Surname>", "<Surname>Lovelace</Surname><Surname>Byron</Surname>", "guest_name"),
    ("PersonName>", "Name>", "guest_name"),
    ("Profiles>", "Profile>", "guest_name"),
]


@pytest.mark.parametrize(("old", "new", "field"), MALFORMED)
def test_every_malformed_field_is_named(old, new, field) -> None:
    with pytest.raises(OtaFormatError) as malformed:
        parse_res_notif(edited(old, new))
    assert malformed.value.field == field, str(malformed.value)
    readable_echo = field not in ("body", "echo_token")
    assert malformed.value.echo_token == ("R1:2" if readable_echo else None), "the error answer should echo it"


def test_missing_parts_and_hostile_bodies() -> None:
    no_guest = SPEC_EXAMPLE[:SPEC_EXAMPLE.index("<ResGuests>")] + SPEC_EXAMPLE[SPEC_EXAMPLE.index("</ResGuests>") + 12:]
    cases = {
        no_guest.encode(): "guest_name",
        b"": "body",
        b"not xml": "body",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><OTA_HotelResNotifRQ>&a;</OTA_HotelResNotifRQ>': "body",
        b'<!DOCTYPE r SYSTEM "http://example.invalid/x.dtd"><OTA_HotelResNotifRQ/>': "body",
        f'<OTA_HotelResNotifRQ xmlns="{NS}" EchoToken="x"/>'.encode(): "hotel_reservation",
    }
    for body, field in cases.items():
        with pytest.raises(OtaFormatError) as malformed:
            parse_res_notif(body)
        assert malformed.value.field == field, body


printable = st.characters(min_codepoint=33, max_codepoint=0x2FFF, exclude_categories=("Cs", "Zs", "Zl", "Zp", "Cc"))
word = st.text(printable, min_size=1, max_size=8).filter(lambda w: w == w.strip() and len(w.split()) == 1)
codes = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:&<>\"'", min_size=1, max_size=12)
notifs = st.builds(
    ResNotif,
    echo_token=codes,
    status=st.sampled_from(["BOOKED", "MODIFIED", "CANCELLED"]),
    reservation_id=codes,
    revision=st.integers(1, 10**6),
    property_code=codes,
    room_code=codes,
    check_in=st.dates(dt.date(2000, 1, 1), dt.date(2098, 1, 1)),
    check_out=st.just(dt.date(2099, 1, 1)),
    rooms=st.integers(1, 50),
    guests=st.integers(1, 99),
    guest_name=st.lists(word, min_size=1, max_size=4).map(" ".join),
    total_minor=st.integers(0, 10**12),
    currency=st.sampled_from(["EUR", "USD", "JPY"]),
)


@given(notifs, st.integers(1, 30))
def test_build_then_parse_is_the_identity(notif: ResNotif, nights: int) -> None:
    notif = ResNotif(**{**notif.__dict__, "check_out": notif.check_in + dt.timedelta(days=nights)})
    assert parse_res_notif(build_res_notif_rq(notif)) == notif


def test_built_requests_follow_the_spec_shape() -> None:
    root = ET.fromstring(build_res_notif_rq(EXPECTED, timestamp=dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC)))
    assert root.tag == f"{Q}OTA_HotelResNotifRQ"
    stamp = (root.get("EchoToken"), root.get("TimeStamp"), root.get("Version"))
    assert stamp == ("R1:2", "2026-11-25T10:00:00Z", "1.0")
    assert root.find(f"{Q}HotelReservations/{Q}HotelReservation").get("ResStatus") == "Book"
    assert root.find(f".//{Q}Total").attrib == {"AmountAfterTax": "24000", "DecimalPlaces": "2", "CurrencyCode": "EUR"}


@pytest.mark.parametrize("over_capacity", [False, True])
def test_success_answer(over_capacity: bool) -> None:
    body = res_notif_success("R1:2", "bk-<1>", over_capacity)
    root = ET.fromstring(body)
    assert root.tag == f"{Q}OTA_HotelResNotifRS" and root.get("EchoToken") == "R1:2" and root.get("Version") == "1.0"
    assert [child.tag.removeprefix(Q) for child in root] == \
        ["Success", *(["Warnings"] if over_capacity else []), "HotelReservations"]
    reservation_id = root.find(f"{Q}HotelReservations/{Q}HotelReservation/{Q}ResGlobalInfo/"
                               f"{Q}HotelReservationIDs/{Q}HotelReservationID")
    assert reservation_id.attrib == {"ResID_Type": "10", "ResID_Value": "bk-<1>"}
    answer = read_ota_answer(body)
    assert answer.success and not answer.errors
    assert [w.code for w in answer.warnings] == (["OVER_CAPACITY"] if over_capacity else [])


@pytest.mark.parametrize("echo", ["R1:2", None])
def test_error_answer(echo: str | None) -> None:
    body = res_notif_error(echo, "FAILED_PRECONDITION", "revision 1 is older than 2 & stays so")
    root = ET.fromstring(body)
    assert root.tag == f"{Q}OTA_HotelResNotifRS" and root.get("EchoToken") == echo
    (error,) = root.iter(f"{Q}Error")
    assert error.attrib == {"Type": "3", "Code": "FAILED_PRECONDITION",
                            "ShortText": "revision 1 is older than 2 & stays so"}
    answer = read_ota_answer(body)
    assert not answer.success and answer.errors[0].code == "FAILED_PRECONDITION"
