"""Two sandbox partners for the embedded default: one speaks json_rest, one ota_xml, both list the Lisbon
demo hotels. Idempotent: what exists is left alone; every start pushes the year ahead to both again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from servers.partner import deliveries, domain, outbound, store
from servers.runtime.clock import SYSTEM_CLOCK, Clock
from servers.storage.database import Database
from servers.storage.tables import listings, partners, room_types

HOTELS = ("lisbon-grand-central", "lisbon-riverside-inn")
ROOMS = {"STD": "DBL", "DLX": "KNG"}


@dataclass(frozen=True)
class DemoPartner:
    partner_id: str
    protocol: str
    port: int
    # A demo key, printed in README: fine on one machine, never for a real partner.
    api_key: str

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def demo_partners(json_port: int, ota_port: int) -> list[DemoPartner]:
    return [DemoPartner("sandbox-json", "json_rest", json_port, "hpk_demo-sandbox-json-partner-key"),
            DemoPartner("sandbox-ota", "ota_xml", ota_port, "hpk_demo-sandbox-ota-partner-key")]


async def seed_demo_partners(db: Database, partners_: list[DemoPartner], clock: Clock = SYSTEM_CLOCK) -> int:
    """Registers the partners and their listings (if absent) and opens a full push to each; returns listings."""
    now = clock.now()
    count = 0
    async with db.unit_of_work() as uow:
        conn = uow.connection
        for p in partners_:
            # Checked first: store.create_partner refuses an existing id, and a restart must pass over it.
            if (await conn.execute(select(partners.c.id).where(partners.c.id == p.partner_id))).first() is None:
                await store.create_partner(uow, domain.NewPartner(
                    partner_id=p.partner_id, name=f"Sandbox partner ({p.protocol})", protocol=p.protocol,
                    endpoint_url=p.endpoint, requests_per_minute=120, inbound_requests_per_minute=600),
                    domain.key_hash(p.api_key), domain.key_prefix(p.api_key), now)
            for index, hotel_id in enumerate(HOTELS):
                count += await _list_hotel(uow, p, hotel_id, f"{p.partner_id.upper()}-{index + 1}", now)
                for opened, _ in await deliveries.merge_change(uow, [p.partner_id], hotel_id, now.date(),
                                                               now.date() + timedelta(days=365), 0, now):
                    await outbound.announce(uow, None, opened, p.partner_id, hotel_id)
        await uow.commit()
    return count


async def _list_hotel(uow, partner: DemoPartner, hotel_id: str, property_code: str, now: datetime) -> int:
    conn = uow.connection
    types = (await conn.execute(select(room_types.c.id, room_types.c.code).where(
        room_types.c.hotel_id == hotel_id, room_types.c.code.in_(ROOMS)))).all()
    listed = set((await conn.execute(select(listings.c.room_type_id).where(
        listings.c.partner_id == partner.partner_id))).scalars())
    new = [t for t in types if t.id not in listed]
    for room_type in new:
        await conn.execute(insert(listings).values(
            id=str(uuid.uuid4()), partner_id=partner.partner_id, hotel_id=hotel_id, room_type_id=room_type.id,
            partner_property_code=property_code, partner_room_code=ROOMS[room_type.code], active=True,
            created_at=now, updated_at=now))
    return len(new)
