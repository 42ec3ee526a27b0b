"""The Partner Gateway's own rules (servers/partner/domain.py) and how it reads a reservation a partner
pushes (reservations.validate): what a partner and a listing must look like, what an API key is and what
we keep of it, and which NotifyReservation messages are refused, naming every field as the partner sent it."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hotelagg.common.v1 import common_pb2
from hotelagg.partner.v1 import partner_pb2 as pb

from servers.partner import domain
from servers.partner.reservations import validate
from servers.runtime.errors import ApiError, Code, Violations

PARTNER = domain.NewPartner("bookit", "Book It", "json_rest", "https://partner.example/ari", 60, 600)
LISTING = domain.NewListing("bookit", "paris-grand", "DBL", "PAR-1", "DOUBLE.A", True)
TODAY = date(2026, 3, 10)


def rejected(check) -> list[str]:
    try:
        check()
    except ApiError as error:
        assert (error.code, error.reason) == (Code.INVALID_ARGUMENT, "INVALID_FIELD")
        return [item.field for item in error.field_violations]
    return []


def test_a_good_partner_passes():
    assert rejected(lambda: domain.validate_partner(PARTNER)) == []
    assert rejected(lambda: domain.validate_partner(replace(PARTNER, protocol="ota_xml",
                                                            endpoint_url="http://10.0.0.7:8080/ota"))) == []


@pytest.mark.parametrize("change, field", [
    (dict(partner_id="ab"), "partner_id"),
    (dict(partner_id="-bookit"), "partner_id"),
    (dict(partner_id="Book-It"), "partner_id"),
    (dict(name="  "), "partner.name"),
    (dict(name="x" * 201), "partner.name"),
    (dict(protocol="soap"), "partner.protocol"),
    (dict(endpoint_url="ftp://partner.example"), "partner.endpoint_url"),
    (dict(endpoint_url="https://"), "partner.endpoint_url"),
    (dict(endpoint_url="https://p.example/" + "x" * 500), "partner.endpoint_url"),
    (dict(requests_per_minute=0), "partner.rate_limit.requests_per_minute"),
    (dict(inbound_requests_per_minute=domain.MAX_PER_MINUTE + 1), "partner.rate_limit.inbound_requests_per_minute"),
])
def test_a_bad_partner_names_the_field(change, field):
    assert rejected(lambda: domain.validate_partner(replace(PARTNER, **change))) == [field]


def test_every_bad_partner_field_is_named_at_once():
    bad = domain.NewPartner("x", "", "soap", "nope", 0, 0)
    assert rejected(lambda: domain.validate_partner(bad)) == [
        "partner_id", "partner.name", "partner.protocol", "partner.endpoint_url",
        "partner.rate_limit.requests_per_minute", "partner.rate_limit.inbound_requests_per_minute"]


@pytest.mark.parametrize("change, wrong", [
    (dict(), []),
    (dict(partner_id="B"), ["listing.partner_id"]),
    (dict(property_code=""), ["listing.partner_property_code"]),
    (dict(room_code="has space"), ["listing.partner_room_code"]),
    (dict(property_code="x" * 101, room_code=".dot-first"),
     ["listing.partner_property_code", "listing.partner_room_code"]),
])
def test_a_listing_names_its_bad_codes(change, wrong):
    v = Violations()
    domain.check_listing(v, replace(LISTING, **change))
    assert [item.field for item in v.items] == wrong


def test_an_api_key_is_shown_once_and_only_its_hash_is_kept():
    key, other = domain.new_api_key(), domain.new_api_key()
    assert key != other and key.startswith("hpk_") and len(key) > 40
    digest = domain.key_hash(key)
    assert len(digest) == 64 and key not in digest and digest == domain.key_hash(key) != domain.key_hash(other)
    # What an operator sees to tell keys apart: the marker and six characters, never enough to call with.
    assert domain.key_prefix(key) == key[:10]


def day(value: date) -> common_pb2.Date:
    return common_pb2.Date(year=value.year, month=value.month, day=value.day)


def notify(**fields) -> pb.NotifyReservationRequest:
    reservation = dict(partner_reservation_id="R-100", revision=1, status=pb.RESERVATION_STATUS_BOOKED,
                       partner_property_code="PAR-1", partner_room_code="DOUBLE.A",
                       check_in=day(TODAY + timedelta(days=3)), check_out=day(TODAY + timedelta(days=5)),
                       rooms=1, guests=2, guest_name="Ada Lovelace",
                       total_amount=common_pb2.Money(currency_code="EUR", amount_minor=24000))
    request_id = fields.pop("request_id", "notify-1")
    reservation.update(fields)
    return pb.NotifyReservationRequest(request_id=request_id, reservation=pb.PartnerReservation(
        **{name: value for name, value in reservation.items() if value is not None}))


def test_a_good_reservation_passes():
    assert rejected(lambda: validate(notify(), TODAY)) == []


@pytest.mark.parametrize("fields, field", [
    (dict(request_id=""), "request_id"),
    (dict(request_id="x" * 129), "request_id"),
    (dict(status=pb.RESERVATION_STATUS_UNSPECIFIED), "reservation.status"),
    (dict(partner_property_code=""), "reservation.partner_property_code"),
    (dict(partner_room_code="a b"), "reservation.partner_room_code"),
    (dict(partner_reservation_id=""), "reservation.partner_reservation_id"),
    (dict(revision=0), "reservation.revision"),
    (dict(check_in=None), "reservation.check_in"),
    (dict(check_out=common_pb2.Date(year=2026, month=2, day=30)), "reservation.check_out"),
    (dict(check_out=day(TODAY + timedelta(days=3))), "reservation.check_out"),
    (dict(rooms=0), "reservation.rooms"),
    (dict(guests=0), "reservation.guests"),
    (dict(total_amount=None), "reservation.total_amount.currency_code"),
    (dict(total_amount=common_pb2.Money(currency_code="EUR", amount_minor=-1)),
     "reservation.total_amount.amount_minor"),
])
def test_a_bad_reservation_is_refused_naming_the_field_as_the_partner_sent_it(fields, field):
    assert rejected(lambda: validate(notify(**fields), TODAY)) == [field]


def test_a_message_without_a_reservation_says_so_and_nothing_more():
    assert rejected(lambda: validate(pb.NotifyReservationRequest(request_id="notify-1"), TODAY)) == ["reservation"]


def test_a_cancellation_of_a_stay_under_way_is_taken_a_new_sale_of_it_is_not():
    under_way = dict(check_in=day(TODAY - timedelta(days=10)), check_out=day(TODAY + timedelta(days=2)))
    assert rejected(lambda: validate(notify(status=pb.RESERVATION_STATUS_CANCELLED, **under_way), TODAY)) == []
    assert rejected(lambda: validate(notify(status=pb.RESERVATION_STATUS_BOOKED, **under_way), TODAY)) == [
        "reservation.check_in"]
