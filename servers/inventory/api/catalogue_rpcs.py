"""The catalogue and direct hotels' ARI: CreateHotel, GetHotel, ListHotels, CreateRoomType,
UpdateInventory, GetAvailability. Proto in, domain rules and the store, proto out."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from hotelagg.inventory.v1 import inventory_pb2 as pb

from servers.hotel import ids
from servers.inventory import domain
from servers.inventory.api import mapping
from servers.inventory.flows import changes
from servers.inventory.flows.changes import ChangeHub
from servers.inventory.flows.mirror import Mirror
from servers.inventory.store import ari, catalog, holds
from servers.runtime.clock import Clock
from servers.runtime.errors import Violations
from servers.runtime.paging import PageTokens, page_size
from servers.storage.database import Database, UnitOfWork
from servers.storage.idempotency import Idempotency

SCOPE = "hotelagg.inventory.v1.InventoryService/"


class CatalogueRpcs:
    def __init__(self, db: Database, idempotency: Idempotency, page_tokens: PageTokens, hub: ChangeHub,
                 mirror: Mirror, catalog_changed: Callable[[UnitOfWork], Awaitable[None]],
                 clock: Clock) -> None:
        self.db = db
        self.idempotency = idempotency
        self.page_tokens = page_tokens
        self.hub = hub
        self.mirror = mirror  # a channel-managed hotel's new room type makes the next poll load it whole
        # Runs in the transaction of a catalogue change: readers of static hotel data (search), in this
        # process after commit and on the other replicas (servers/fanout.py), read it again.
        self.catalog_changed = catalog_changed
        self.clock = clock

    async def CreateHotel(self, request: pb.CreateHotelRequest, context) -> pb.CreateHotelResponse:
        hotel = mapping.new_hotel(request, request.hotel_id or f"h-{uuid.uuid4().hex[:12]}")
        domain.validate_hotel(hotel)

        async def work(uow: UnitOfWork) -> pb.CreateHotelResponse:
            record = await catalog.create_hotel(uow, hotel, self.clock.now())
            await self.catalog_changed(uow)
            return pb.CreateHotelResponse(hotel=mapping.hotel_proto(record))

        return await self.idempotency.run(SCOPE + "CreateHotel", request, pb.CreateHotelResponse, work)

    async def GetHotel(self, request: pb.GetHotelRequest, context) -> pb.GetHotelResponse:
        _require_hotel_id(request.hotel_id)
        async with self.db.reading() as conn:
            record = await catalog.get_hotel(conn, request.hotel_id)
        return pb.GetHotelResponse(hotel=mapping.hotel_proto(record))

    async def ListHotels(self, request: pb.ListHotelsRequest, context) -> pb.ListHotelsResponse:
        limit = page_size(request.page_size)
        if request.country_code:
            v = Violations()
            v.check(bool(ids.COUNTRY_CODE.fullmatch(request.country_code)), "country_code", "ISO 3166-1 alpha-2")
            v.raise_if_any()
        filters = {"city": request.city.strip().lower(), "country": request.country_code}
        after = self.page_tokens.read(request.page_token, "hotels", filters, str)  # the last hotel id
        async with self.db.reading() as conn:
            records = await catalog.list_hotels(
                conn, city=request.city, country_code=request.country_code, after=after, limit=limit + 1
            )
        token = ""
        if len(records) > limit:
            records = records[:limit]
            token = self.page_tokens.issue("hotels", filters, records[-1].hotel.id)
        return pb.ListHotelsResponse(hotels=[mapping.hotel_proto(r) for r in records], next_page_token=token)

    async def CreateRoomType(self, request: pb.CreateRoomTypeRequest, context) -> pb.CreateRoomTypeResponse:
        _require_hotel_id(request.hotel_id)
        room_type = mapping.new_room_type(request.room_type)
        domain.validate_room_type(room_type)

        async def work(uow: UnitOfWork) -> pb.CreateRoomTypeResponse:
            row = await catalog.create_room_type(uow, request.hotel_id, room_type, self.clock.now())
            await self.mirror.room_type_added(uow, request.hotel_id)
            await self.catalog_changed(uow)
            return pb.CreateRoomTypeResponse(room_type=mapping.room_type_proto(row))

        return await self.idempotency.run(SCOPE + "CreateRoomType", request, pb.CreateRoomTypeResponse, work)

    async def UpdateInventory(self, request: pb.UpdateInventoryRequest, context) -> pb.UpdateInventoryResponse:
        v = Violations()
        _check_room_type_ref(v, request.hotel_id, request.room_type_code)
        start, end = mapping.date_range(v, request)
        domain.check_range(v, start, end, self.clock.now().date(), allow_past=False)
        patch = mapping.nights_patch(request)
        domain.validate_patch(v, patch)
        v.raise_if_any()

        async def work(uow: UnitOfWork) -> pb.UpdateInventoryResponse:
            room_type = await ari.find_room_type(uow.connection, request.hotel_id, request.room_type_code)
            if request.HasField("price") and request.price.currency_code != room_type.currency_code:
                raise Violations().add(
                    "price.currency_code", f"must be the hotel's currency, {room_type.currency_code}"
                ).error()
            nights = await ari.update_inventory(uow, room_type, start, end, patch, request.etag, self.clock.now())
            await changes.announce(self.hub, self.clock, uow, request.hotel_id, request.room_type_code,
                                   room_type.currency_code, changes.DIRECT_UPDATE, nights)
            return pb.UpdateInventoryResponse(
                nights=[mapping.night_proto(n, room_type.currency_code) for n in nights],
                etag=domain.range_etag(room_type.id, nights),
            )

        return await self.idempotency.run(SCOPE + "UpdateInventory", request, pb.UpdateInventoryResponse, work)

    async def GetAvailability(self, request: pb.GetAvailabilityRequest, context) -> pb.GetAvailabilityResponse:
        v = Violations()
        ids.check_hotel_id(v, request.hotel_id)
        if request.room_type_code:
            ids.check_room_type_code(v, request.room_type_code)
        start, end = mapping.date_range(v, request)
        domain.check_range(v, start, end, self.clock.now().date())
        v.raise_if_any()
        now = self.clock.now()
        async with self.db.reading() as conn:
            currency, found = await ari.availability(conn, request.hotel_id, request.room_type_code, start, end)
            # Expired holds count as free at once, even before the sweeper reclaims them (and, like
            # any rooms coming free, go to guests sold beyond capacity first).
            lapsed = await holds.expired_held(conn, [rt.id for rt, _ in found], start, end, now)
        if lapsed:
            found = [(rt, [domain.holds_ended(n, lapsed[(rt.id, n.night)]) if (rt.id, n.night) in lapsed else n
                           for n in nights])
                     for rt, nights in found]
        return pb.GetAvailabilityResponse(
            room_types=[
                pb.RoomTypeAvailability(
                    room_type_code=room_type.code,
                    nights=[mapping.night_proto(n, currency) for n in nights],
                    etag=domain.range_etag(room_type.id, nights),
                )
                for room_type, nights in found
            ]
        )


def _require_hotel_id(hotel_id: str) -> None:
    v = Violations()
    ids.check_hotel_id(v, hotel_id)
    v.raise_if_any()


def _check_room_type_ref(v: Violations, hotel_id: str, code: str) -> None:
    ids.check_hotel_id(v, hotel_id)
    ids.check_room_type_code(v, code)
