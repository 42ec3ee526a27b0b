"""Partners and listings in the database."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from servers.hotel.reasons import HotelReason
from servers.partner.domain import NewListing, NewPartner
from servers.partner.reasons import PartnerReason
from servers.runtime.errors import already_exists, failed_precondition, not_found
from servers.storage.database import UnitOfWork
from servers.storage.tables import hotels, listings, partners, room_types


async def create_partner(uow: UnitOfWork, p: NewPartner, api_key_hash: str, api_key_prefix: str,
                         now: datetime) -> Row:
    if (await uow.connection.execute(select(partners.c.id).where(partners.c.id == p.partner_id))).first():
        raise already_exists(PartnerReason.PARTNER_EXISTS, f"partner {p.partner_id}", partner_id=p.partner_id)
    try:  # a concurrent create of the same id: the transaction is lost anyway, the answer is the same
        return (await uow.connection.execute(insert(partners).values(
            id=p.partner_id, name=p.name.strip(), protocol=p.protocol, endpoint_url=p.endpoint_url,
            api_key_hash=api_key_hash, api_key_prefix=api_key_prefix,
            requests_per_minute=p.requests_per_minute,
            inbound_requests_per_minute=p.inbound_requests_per_minute, created_at=now, updated_at=now,
        ).returning(partners))).one()
    except IntegrityError:
        raise already_exists(PartnerReason.PARTNER_EXISTS, f"partner {p.partner_id}", partner_id=p.partner_id) from None


async def get_partner(conn: AsyncConnection, partner_id: str) -> Row:
    row = (await conn.execute(select(partners).where(partners.c.id == partner_id))).first()
    if row is None:
        raise not_found(PartnerReason.PARTNER_NOT_FOUND, f"partner {partner_id}", partner_id=partner_id)
    return row


async def partner_by_key(conn: AsyncConnection, api_key_hash: str) -> Row | None:
    return (await conn.execute(select(partners).where(partners.c.api_key_hash == api_key_hash))).first()


async def list_partners(conn: AsyncConnection, after: str | None, limit: int, only: str | None = None) -> list[Row]:
    query = select(partners).order_by(partners.c.id).limit(limit)
    if after:
        query = query.where(partners.c.id > after)
    if only is not None:
        query = query.where(partners.c.id == only)
    return list((await conn.execute(query)).all())


def _listing_select():
    return (select(listings, room_types.c.code.label("room_type_code"))
            .join(room_types, room_types.c.id == listings.c.room_type_id))


async def create_listing(uow: UnitOfWork, listing: NewListing, now: datetime) -> Row:
    conn = uow.connection
    await get_partner(conn, listing.partner_id)
    room_type = (await conn.execute(
        select(room_types.c.id, hotels.c.channel_manager_id).join(hotels, hotels.c.id == room_types.c.hotel_id)
        .where(room_types.c.hotel_id == listing.hotel_id, room_types.c.code == listing.room_type_code))).first()
    if room_type is None:
        raise not_found(HotelReason.ROOM_TYPE_NOT_FOUND,
                        f"room type {listing.room_type_code} of hotel {listing.hotel_id}",
                        hotel_id=listing.hotel_id, room_type_code=listing.room_type_code)
    if room_type.channel_manager_id is not None:
        raise failed_precondition(HotelReason.HOTEL_NOT_DIRECT,
                                  f"hotel {listing.hotel_id} is distributed by its channel "
                                  "manager; only direct hotels are listed through us", hotel_id=listing.hotel_id)
    listing_id = str(uuid.uuid4())
    try:  # the unique constraints decide; the rolled-back transaction changes nothing
        await conn.execute(insert(listings).values(
            id=listing_id, partner_id=listing.partner_id, hotel_id=listing.hotel_id, room_type_id=room_type.id,
            partner_property_code=listing.property_code, partner_room_code=listing.room_code,
            active=listing.active, created_at=now, updated_at=now))
    except IntegrityError:
        raise already_exists(PartnerReason.LISTING_EXISTS, "a listing of this room type or these partner codes",
                             partner_id=listing.partner_id) from None
    return await get_listing(conn, listing_id)


async def get_listing(conn: AsyncConnection, listing_id: str) -> Row:
    row = (await conn.execute(_listing_select().where(listings.c.id == listing_id))).first()
    if row is None:
        raise not_found(PartnerReason.LISTING_NOT_FOUND, f"listing {listing_id}", listing_id=listing_id)
    return row


async def list_listings(conn: AsyncConnection, partner_id: str | None, hotel_id: str | None, after: str | None,
                        limit: int) -> list[Row]:
    query = _listing_select().order_by(listings.c.id).limit(limit)
    if partner_id:
        query = query.where(listings.c.partner_id == partner_id)
    if hotel_id:
        query = query.where(listings.c.hotel_id == hotel_id)
    if after:
        query = query.where(listings.c.id > after)
    return list((await conn.execute(query)).all())


async def listing_by_codes(conn: AsyncConnection, partner_id: str, property_code: str, room_code: str) -> Row:
    """The listing a partner's reservation names; another partner's codes are not found."""
    row = (await conn.execute(_listing_select().where(
        listings.c.partner_id == partner_id, listings.c.partner_property_code == property_code,
        listings.c.partner_room_code == room_code))).first()
    if row is None or not row.active:
        raise not_found(PartnerReason.LISTING_NOT_FOUND, f"listing of property {property_code} room {room_code}",
                        partner_property_code=property_code, partner_room_code=room_code)
    return row
