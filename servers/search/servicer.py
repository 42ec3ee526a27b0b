"""SearchService: cache-first availability search across hotels."""

from __future__ import annotations

import hashlib
import math
import time
from datetime import date, timedelta

from hotelagg.search.v1 import search_pb2 as pb
from hotelagg.search.v1 import search_pb2_grpc

from servers.hotel.ids import CURRENCY_CODE, check_hotel_id, check_room_type_code
from servers.hotel.limits import MAX_DAYS_AHEAD, MAX_STAY_NIGHTS
from servers.hotel.nights import nights_between
from servers.runtime.clock import SYSTEM_CLOCK, Clock
from servers.runtime.errors import Violations
from servers.runtime.paging import PageTokens, page_size
from servers.runtime.protos import money_proto, read_date
from servers.search import domain
from servers.search.directory import HotelDirectory
from servers.search.domain import CACHED, LIVE, STALE, HotelInfo, Option
from servers.search.memo import ResultMemo
from servers.search.nights import NightSource

_FRESHNESS = {LIVE: pb.FRESHNESS_LIVE, CACHED: pb.FRESHNESS_CACHED, STALE: pb.FRESHNESS_STALE}


class SearchServicer(search_pb2_grpc.SearchServiceServicer):
    def __init__(self, directory: HotelDirectory, nights: NightSource, page_tokens: PageTokens,
                 memo_seconds: float = 1.0, clock: Clock = SYSTEM_CLOCK) -> None:
        self.directory = directory
        self.clock = clock  # today's date, which a stay must not start before
        self.nights = nights
        self.page_tokens = page_tokens
        self.memo = ResultMemo(memo_seconds)

    async def SearchAvailability(self, request: pb.SearchAvailabilityRequest, context) -> pb.SearchAvailabilityResponse:
        check_in, check_out, rooms, limit = _validate(request, self.clock.now().date())
        filters = _filters(request)
        position = self.page_tokens.read(request.page_token, "search", filters, Option.SORT_KEY_TYPES)
        hotels = await self._candidates(request)
        codes = set(request.room_type_codes)
        candidates = [(h, [rt.code for rt in h.room_types if (not codes or rt.code in codes)
                           and rt.max_occupancy * rooms >= request.guests]) for h in hotels]
        candidates = [(h, c) for h, c in candidates if c]
        memo_key = await self._memo_key(filters, request, candidates)
        kept, token = self.memo.get(memo_key)
        now = time.time()
        if kept is not None:
            return _response(kept, token, now)
        stay = nights_between(check_in, check_out)
        views = await self.nights.nights(candidates, [*stay, check_out]) if candidates else {}
        options = sorted(_options(request, candidates, views, stay, check_out, rooms), key=Option.sort_key)
        page = [o for o in options if domain.after(o, position)][: limit + 1]
        token = ""
        if len(page) > limit:
            page = page[:limit]
            token = self.page_tokens.issue("search", filters, list(page[-1].sort_key()))
        # Kept as ready messages: a replay only sets each option's age. Read live a moment ago is,
        # by the time it is replayed, cached data.
        self.memo.put(memo_key, [(_option_proto(o, replay=True), o.oldest_update) for o in page], token)
        return _response([(_option_proto(o), o.oldest_update) for o in page], token, now)

    async def _memo_key(self, filters: dict, request, candidates) -> tuple:
        """What a result depends on besides the query: every candidate hotel's count of changes (bumped
        by each committed change, after its nights are cached) and whether its channel manager is reachable."""
        hotel_ids = [h.hotel_id for h, _ in candidates]
        counts = await self.nights.cache.change_counts(hotel_ids) if self.memo.seconds else ()
        down = tuple(self.nights.unreachable(h) for h, _ in candidates)
        return (filters["q"], request.page_token, request.page_size, tuple(counts), down)

    async def _candidates(self, request: pb.SearchAvailabilityRequest) -> list[HotelInfo]:
        if request.city:
            return await self.directory.in_city(request.city)
        if request.hotel_ids:
            return await self.directory.with_ids(list(request.hotel_ids))
        near = request.near
        return [h for h in await self.directory.near(near.latitude, near.longitude, near.radius_km)
                if domain.distance_km(near.latitude, near.longitude, h.latitude, h.longitude) <= near.radius_km]


def _options(request, candidates, views, stay: list[date], check_out: date, rooms: int):
    now = time.time()
    price_cap = request.max_total_price if request.HasField("max_total_price") else None
    near = request.near if request.HasField("near") else None
    for hotel, codes in candidates:
        if price_cap is not None and price_cap.currency_code != hotel.currency_code:
            continue
        distance = domain.distance_km(near.latitude, near.longitude, hotel.latitude, hotel.longitude) if near else 0.0
        for room_type in (rt for rt in hotel.room_types if rt.code in codes):
            nights = [views.get((hotel.hotel_id, d, room_type.code)) for d in stay]
            departure = views.get((hotel.hotel_id, check_out, room_type.code))
            option = domain.sellable_option(hotel, room_type, nights, departure, rooms, now, distance)
            if option and (price_cap is None or option.total_minor <= price_cap.amount_minor):
                yield option


def _response(options: list[tuple[pb.SearchOption, float]], token: str, now: float) -> pb.SearchAvailabilityResponse:
    response = pb.SearchAvailabilityResponse(options=[message for message, _ in options], next_page_token=token)
    for message, (_, oldest_update) in zip(response.options, options, strict=True):
        message.age.FromMilliseconds(int(max(0.0, now - oldest_update) * 1000))
    return response


def _option_proto(option: Option, replay: bool = False) -> pb.SearchOption:
    """The option without its age (set per answer); `replay`: as kept for identical searches."""
    freshness = CACHED if replay and option.freshness == LIVE else option.freshness
    currency = option.hotel.currency_code
    return pb.SearchOption(
        hotel_id=option.hotel.hotel_id, hotel_name=option.hotel.name, city=option.hotel.city,
        room_type_code=option.room_type.code, room_type_name=option.room_type.name,
        max_occupancy=option.room_type.max_occupancy,
        nightly_prices=[money_proto(p, currency) for p in option.nightly_prices],
        total_price=money_proto(option.total_minor, currency), rooms_left=option.rooms_left,
        freshness=_FRESHNESS[freshness], distance_km=round(option.distance_km, 3),
    )


def _filters(request: pb.SearchAvailabilityRequest) -> dict:
    """What a page token is bound to: the whole query but its page fields."""
    copy = pb.SearchAvailabilityRequest()
    copy.CopyFrom(request)
    copy.ClearField("page_token")
    copy.ClearField("page_size")
    return {"q": hashlib.sha256(copy.SerializeToString(deterministic=True)).hexdigest()[:24]}


def _validate(request: pb.SearchAvailabilityRequest, today: date) -> tuple[date, date, int, int]:
    v = Violations()
    _validate_where(v, request)
    check_in = read_date(v, request.check_in, "check_in", request.HasField("check_in"))
    check_out = read_date(v, request.check_out, "check_out", request.HasField("check_out"))
    if check_in and check_out:
        if v.check(check_out > check_in, "check_out", "must be after check_in"):
            v.check((check_out - check_in).days <= MAX_STAY_NIGHTS, "check_out",
                    f"a stay is at most {MAX_STAY_NIGHTS} nights")
        v.check(check_in >= today - timedelta(days=1), "check_in", "must not be in the past")
        v.check(check_out <= today + timedelta(days=MAX_DAYS_AHEAD), "check_out",
                f"at most {MAX_DAYS_AHEAD} days ahead")
    v.check(1 <= request.guests <= domain.MAX_GUESTS, "guests", f"1 to {domain.MAX_GUESTS} guests")
    v.check(0 <= request.rooms <= domain.MAX_ROOMS, "rooms", f"1 to {domain.MAX_ROOMS} rooms (0 means 1)")
    if request.HasField("max_total_price"):
        price = request.max_total_price
        v.check(bool(CURRENCY_CODE.fullmatch(price.currency_code)), "max_total_price.currency_code", "ISO 4217 code")
        v.check(price.amount_minor > 0, "max_total_price.amount_minor", "must be positive")
    for i, code in enumerate(request.room_type_codes):
        check_room_type_code(v, code, f"room_type_codes[{i}]")
    v.raise_if_any()
    assert check_in is not None and check_out is not None  # read_date recorded why otherwise: raised above
    limit = page_size(request.page_size, domain.DEFAULT_PAGE_SIZE, domain.MAX_PAGE_SIZE)
    return check_in, check_out, request.rooms or 1, limit


def _validate_where(v: Violations, request: pb.SearchAvailabilityRequest) -> None:
    given = [bool(request.city), bool(request.hotel_ids), request.HasField("near")]
    if sum(given) != 1:
        v.add("city", "say where: exactly one of city, hotel_ids and near")
        return
    if request.city:
        v.check(len(request.city.strip()) <= 100 and bool(request.city.strip()), "city", "1 to 100 characters")
    if request.hotel_ids:
        v.check(len(request.hotel_ids) <= domain.MAX_HOTEL_IDS, "hotel_ids", f"at most {domain.MAX_HOTEL_IDS}")
        for i, hotel_id in enumerate(request.hotel_ids):
            check_hotel_id(v, hotel_id, f"hotel_ids[{i}]")
    if request.HasField("near"):
        near = request.near
        if near.latitude == 0 and near.longitude == 0:
            v.add("near.latitude", "a radius needs the centre's coordinates")
        v.check(math.isfinite(near.latitude) and -90 <= near.latitude <= 90, "near.latitude", "between -90 and 90")
        v.check(math.isfinite(near.longitude) and -180 <= near.longitude <= 180, "near.longitude",
                "between -180 and 180")
        v.check(0 < near.radius_km <= domain.MAX_RADIUS_KM, "near.radius_km",
                f"more than 0, at most {domain.MAX_RADIUS_KM:g} km")
