"""Who may call what outside the development mode (issue 14, item 14): internal RPCs only with the service
credentials our own services send, the catalogue and ARI only for operators, a booking's actions only for its
owner (the access token CreateBooking returned) or an operator, and guests' names, emails and phones only to
them. Our own calls (Booking → Inventory, Partner → Inventory) carry the credentials and keep working.
Embedded and production-like (tests/e2e/booking_rig.py)."""

from __future__ import annotations

import grpc
import pytest
from hotelagg.booking.v1 import booking_pb2 as bk
from hotelagg.booking.v1 import booking_pb2_grpc
from hotelagg.inventory.v1 import inventory_pb2 as inv
from hotelagg.partner.v1 import partner_pb2 as pt
from hotelagg.partner.v1 import partner_pb2_grpc

from tests.api.helpers import days_ahead, fails, inventory_stub, pb_date, request_id
from tests.api.partner_helpers import as_partner, count, partner_message, reservation, rows, stay_nights
from tests.e2e.booking_rig import booking_stack, confirm, create, direct_hotel

SERVICE_TOKEN = "test-service-token-0123456789abcdef"
OPERATOR_TOKEN = "test-operator-token-0123456789"
PRODUCTION = dict(environment="production", service_token=SERVICE_TOKEN, operator_token=OPERATOR_TOKEN,
                  page_token_secret="test-page-token-secret-0123456789",
                  booking_token_secret="test-booking-token-secret-0123456789")
OPERATOR = (("authorization", f"Bearer {OPERATOR_TOKEN}"),)
SERVICE = (("x-service-token", SERVICE_TOKEN),)
HOTEL = "direct-hotel"


class _Sending(grpc.aio.UnaryUnaryClientInterceptor):
    """Adds the same metadata to every call of a channel: how an operator's tool talks to us."""

    def __init__(self, metadata) -> None:
        self.metadata = tuple(metadata)

    async def intercept_unary_unary(self, continuation, details, request):
        details = details._replace(metadata=(*(details.metadata or ()), *self.metadata))
        return await continuation(details, request)


def bk_stub(channel) -> booking_pb2_grpc.BookingServiceStub:
    return booking_pb2_grpc.BookingServiceStub(channel)


def _operator_channel(rig) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(f"127.0.0.1:{rig.running.port}", interceptors=[_Sending(OPERATOR)])


class _As:
    """The rig's helpers, run as an operator."""

    def __init__(self, channel) -> None:
        self.inventory = inventory_stub(channel)


def _hold(quantity: int = 1) -> inv.HoldInventoryRequest:
    return inv.HoldInventoryRequest(request_id=request_id(), hotel_id=HOTEL, room_type_code="STD",
                                    check_in=pb_date(days_ahead(2)), check_out=pb_date(days_ahead(4)),
                                    quantity=quantity)


def _cancel_partner_sale() -> inv.ApplyPartnerReservationRequest:
    return inv.ApplyPartnerReservationRequest(
        request_id=request_id(), partner_id="acme", partner_reservation_id="R-1", revision=2, cancelled=True,
        hotel_id=HOTEL, room_type_code="STD", check_in=pb_date(days_ahead(3)), check_out=pb_date(days_ahead(5)),
        rooms=1, guests=1)


def _internal_calls(stub, metadata):
    hold_id = "00000000-0000-0000-0000-000000000000"
    return {
        "HoldInventory": lambda: stub.HoldInventory(_hold(), metadata=metadata),
        "ReleaseHold": lambda: stub.ReleaseHold(inv.ReleaseHoldRequest(request_id=request_id(), hold_id=hold_id),
                                                metadata=metadata),
        "CommitHold": lambda: stub.CommitHold(inv.CommitHoldRequest(request_id=request_id(), hold_id=hold_id),
                                              metadata=metadata),
        "ApplyPartnerReservation": lambda: stub.ApplyPartnerReservation(_cancel_partner_sale(), metadata=metadata),
        "ApplyChannelUpdates": lambda: stub.ApplyChannelUpdates(inv.ApplyChannelUpdatesRequest(
            request_id=request_id(), hotel_id=HOTEL), metadata=metadata),
        "CreateHotel": lambda: stub.CreateHotel(inv.CreateHotelRequest(request_id=request_id(), hotel_id="intruder",
                                                                       hotel=inv.Hotel(name="x")), metadata=metadata),
        "UpdateInventory": lambda: stub.UpdateInventory(inv.UpdateInventoryRequest(
            request_id=request_id(), hotel_id=HOTEL, room_type_code="STD", start_date=pb_date(days_ahead(2)),
            end_date=pb_date(days_ahead(4)), total_rooms=0), metadata=metadata),
    }


async def _watch_first(stub, metadata):
    async for change in stub.WatchInventory(inv.WatchInventoryRequest(hotel_ids=[HOTEL]), metadata=metadata):
        return change


async def _partner_sale(rig, operator) -> str:
    """A partner (acme) lists the hotel and sells one room over nights 3-4; returns its API key."""
    partners = partner_pb2_grpc.PartnerServiceStub(operator)
    created = await partners.CreatePartner(pt.CreatePartnerRequest(request_id=request_id(), partner_id="acme",
                                                                   partner=partner_message()))
    await partners.CreateListing(pt.CreateListingRequest(request_id=request_id(), listing=pt.Listing(
        partner_id="acme", hotel_id=HOTEL, room_type_code="STD", partner_property_code="P1", partner_room_code="R1",
        active=True)))
    sold = await partner_pb2_grpc.PartnerServiceStub(rig.channel).NotifyReservation(pt.NotifyReservationRequest(
        request_id=request_id(), reservation=reservation(check_in=3, nights=2)), metadata=as_partner(created.api_key))
    assert sold.booking_id
    return created.api_key


async def test_internal_rpcs_need_the_service_credentials(db, stack):
    async with booking_stack(db, {**stack, **PRODUCTION}) as rig, _operator_channel(rig) as operator:
        await direct_hotel(_As(operator), HOTEL, rooms=5)
        await _partner_sale(rig, operator)
        before = (await stay_nights(db, 2, 3, HOTEL), [tuple(r) for r in await rows(db, "bookings")])
        stub = rig.inventory
        refusals = {
            (): (grpc.StatusCode.UNAUTHENTICATED, "CREDENTIALS_REQUIRED"),
            (("x-service-token", SERVICE_TOKEN[:-1] + "x"),): (grpc.StatusCode.UNAUTHENTICATED, "BAD_CREDENTIALS"),
            (("authorization", "Bearer not-the-operator-token"),): (grpc.StatusCode.UNAUTHENTICATED,
                                                                    "BAD_CREDENTIALS"),
        }
        for metadata, expected in refusals.items():
            for name, call in _internal_calls(stub, metadata).items():
                refused = await fails(call())
                assert (refused.code, refused.reason) == expected, (name, metadata)
                assert refused.domain == "hotelagg.inventory.v1"
            refused = await fails(_watch_first(stub, metadata))
            assert (refused.code, refused.reason) == expected, ("WatchInventory", metadata)
        # An operator manages the catalogue, but the service-to-service RPCs are for our services only.
        for name in ("HoldInventory", "ApplyPartnerReservation", "ApplyChannelUpdates"):
            refused = await fails(_internal_calls(stub, OPERATOR)[name]())
            assert (refused.code, refused.reason) == (grpc.StatusCode.PERMISSION_DENIED, "SERVICE_ONLY"), name
        # Nothing changed: no hold, the partner's sale still stands, no intruder hotel.
        assert (await stay_nights(db, 2, 3, HOTEL), [tuple(r) for r in await rows(db, "bookings")]) == before
        assert await count(db, "holds") == 0 and await count(db, "hotels", id="intruder") == 0
        # Public reads need nothing.
        assert (await stub.GetHotel(inv.GetHotelRequest(hotel_id=HOTEL))).hotel.hotel_id == HOTEL
        # Our own services' credentials open them.
        held = (await stub.HoldInventory(_hold(), metadata=SERVICE)).hold
        assert held.quantity == 1


async def test_our_own_services_send_their_credentials(db, stack):
    async with booking_stack(db, {**stack, **PRODUCTION}) as rig, _operator_channel(rig) as operator:
        await direct_hotel(_As(operator), HOTEL, rooms=5)
        await _partner_sale(rig, operator)  # Partner → InventoryService.ApplyPartnerReservation
        made = await rig.bookings.CreateBooking(create(HOTEL), timeout=10)  # Booking → HoldInventory
        owner = (("x-booking-token", made.access_token),)
        confirmed = (await rig.bookings.ConfirmBooking(confirm(made.booking.booking_id), metadata=owner,
                                                       timeout=10)).booking
        assert confirmed.status == bk.BOOKING_STATUS_CONFIRMED
        assert await count(db, "bookings", status="confirmed") == 2


async def test_guest_data_only_for_the_owner_or_an_operator(db, stack):
    async with booking_stack(db, {**stack, **PRODUCTION}) as rig, _operator_channel(rig) as operator:
        await direct_hotel(_As(operator), HOTEL, rooms=5)
        made = await rig.bookings.CreateBooking(create(HOTEL, user="ada"), timeout=10)
        booking_id = made.booking.booking_id
        assert made.booking.lead_guest.family_name == "Lovelace" and made.access_token
        get = bk.GetBookingRequest(booking_id=booking_id)
        stranger = (await rig.bookings.GetBooking(get)).booking
        assert stranger.booking_id == booking_id and not stranger.HasField("lead_guest")
        forged = (await rig.bookings.GetBooking(get, metadata=(("x-booking-token", "forged-token"),))).booking
        assert not forged.HasField("lead_guest")
        other = await rig.bookings.CreateBooking(create(HOTEL, user="bob", first=3), timeout=10)
        not_theirs = (await rig.bookings.GetBooking(get, metadata=(("x-booking-token", other.access_token),))).booking
        assert not not_theirs.HasField("lead_guest")
        owned = (await rig.bookings.GetBooking(get, metadata=(("x-booking-token", made.access_token),))).booking
        assert owned.lead_guest == made.booking.lead_guest
        by_operator = (await bk_stub(operator).GetBooking(get)).booking
        assert by_operator.lead_guest == made.booking.lead_guest
        listed = (await rig.bookings.ListBookings(bk.ListBookingsRequest(user_id="ada"))).bookings
        assert [b.booking_id for b in listed] == [booking_id] and not listed[0].HasField("lead_guest")
        listed = (await bk_stub(operator).ListBookings(bk.ListBookingsRequest(hotel_id=HOTEL))).bookings
        assert {b.lead_guest.family_name for b in listed} == {"Lovelace"} and len(listed) == 2


async def test_only_the_owner_or_an_operator_confirms_or_cancels(db, stack):
    async with booking_stack(db, {**stack, **PRODUCTION}) as rig, _operator_channel(rig) as operator:
        await direct_hotel(_As(operator), HOTEL, rooms=5)
        made = await rig.bookings.CreateBooking(create(HOTEL), timeout=10)
        other = await rig.bookings.CreateBooking(create(HOTEL, first=3), timeout=10)
        booking_id = made.booking.booking_id
        cancel = bk.CancelBookingRequest(request_id=request_id(), booking_id=booking_id)
        for metadata, expected in [
            ((), (grpc.StatusCode.UNAUTHENTICATED, "CREDENTIALS_REQUIRED")),
            ((("x-booking-token", other.access_token),), (grpc.StatusCode.PERMISSION_DENIED, "NOT_BOOKING_OWNER")),
        ]:
            for call in (rig.bookings.CancelBooking(cancel, metadata=metadata),
                         rig.bookings.ConfirmBooking(confirm(booking_id), metadata=metadata)):
                refused = await fails(call)
                assert (refused.code, refused.reason) == expected, metadata
        assert [r.status for r in await rows(db, "bookings", id=booking_id)] == ["held"]
        cancelled = (await bk_stub(operator).CancelBooking(cancel)).booking
        assert cancelled.status == bk.BOOKING_STATUS_CANCELLED and cancelled.lead_guest.family_name == "Lovelace"


async def test_development_mode_keeps_the_one_machine_default_open_but_not_guest_data(db, stack):
    """`make run` with nothing configured: the README's calls work without headers; guests stay private."""
    async with booking_stack(db, stack, environment="development") as rig:
        await direct_hotel(rig, HOTEL, rooms=5)
        assert (await rig.inventory.HoldInventory(_hold())).hold.quantity == 1
        made = await rig.bookings.CreateBooking(create(HOTEL), timeout=10)
        confirmed = (await rig.bookings.ConfirmBooking(confirm(made.booking.booking_id), timeout=10)).booking
        assert confirmed.status == bk.BOOKING_STATUS_CONFIRMED and not confirmed.HasField("lead_guest")
        owned = await rig.bookings.GetBooking(bk.GetBookingRequest(booking_id=made.booking.booking_id),
                                              metadata=(("x-booking-token", made.access_token),))
        assert owned.booking.lead_guest.given_name == "Ada"


@pytest.mark.parametrize("unsafe", [
    dict(operator_token="hotelagg-dev-operator-token"),
    dict(page_token_secret="hotelagg-dev-page-token-secret"),
    dict(booking_token_secret="hotelagg-dev-booking-token-secret"),
    dict(service_token=None),
])
async def test_production_refuses_the_known_development_secrets(db, unsafe):
    from servers import bootstrap
    from servers.runtime.config import Settings

    settings = Settings(**{**dict(database_url=db.url, port=0, webhook_port=0), **PRODUCTION, **unsafe})
    with pytest.raises(SystemExit) as refused:
        await bootstrap.start(settings)
    assert f"HOTELAGG_{next(iter(unsafe)).upper()}" in str(refused.value)
