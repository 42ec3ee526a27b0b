"""Booking: end-to-end bookings/s (CreateBooking + ConfirmBooking) on distinct rooms and on one hot
room-night, 32 concurrent clients, against the same SQL statements run straight on PostgreSQL at the
same concurrency (goal: hot path ≥ 0.3× its baseline); and CreateBooking p50/p99 on distinct rooms
paced open-loop at half of the maximum distinct-rooms throughput (goal: p99 ≤ 50 ms).

Ours: `python -m servers serve --service inventory --service booking` in a process of its own (booking
reaches inventory over gRPC on that same server, as deployed by default) on a throwaway PostgreSQL
database, and the sandbox payment gateway in a process of its own (`python -m sandbox.payment_gateway`,
token tok_visa). Two direct hotels (no channel manager): one with ROOM_TYPES room types × NIGHTS nights
(client i books room type i, a new night each time: no two clients touch the same room type, so no row
and no in-process lock is shared), one with a single room type of HOT_ROOMS rooms on one night that
every client books. Every booking is 1 room for 1 night; a client runs CreateBooking then
ConfirmBooking, then its next booking.

Baseline: what our path commits, written out below as plain SQL and run by psycopg connections (one
per client) with the same transaction boundaries, each client booking the same rooms as ours — no
gRPC, no payment gateway, no Python orchestration. Two variants:
- "committed" (the goal's baseline): the 8 transactions that commit a change, each with every
  statement our path runs inside it — the booking claim (look-up by request id, room type id, INSERT),
  the hold (idempotency lock+read, the stay's read, INSERT hold, conditional UPDATE of the night,
  key INSERT), the booking UPDATEs for the hold, HELD, the capture and CONFIRMED, CommitHold (lock+read,
  SELECT ... FOR UPDATE, hold and night UPDATEs, re-read, currency, key INSERT) and ConfirmBooking's
  key INSERT;
- "all": those plus the 8 read-only transactions our path also runs (GetHotel, the re-read after the
  claim and after each booking UPDATE, ConfirmBooking's key check and booking read), ended with COMMIT
  or ROLLBACK as ours ends them: the whole SQL trace of one booking (61 round trips: 16 BEGIN, 10
  COMMIT, 6 ROLLBACK, 29 statements), as PostgreSQL logged it (log_statement = all) for this
  benchmark's requests. psycopg forgets its prepared statements at every ROLLBACK, so here, as in ours,
  most statements are parsed and planned anew; in "committed" they are prepared after 5 uses.

Latency goal: the distinct-rooms closed-loop throughput at 16, 32 and 64 clients; its maximum is the
maximum throughput; then bookings arrive paced (evenly spaced, open loop: nobody waits for an answer
before the next one arrives) at half of it, and CreateBooking's latency is measured from each
booking's scheduled arrival (so a late start counts), its service time from the send as well.

Each measurement also records the CPU each process spent per booking (from /proc: our server, the
payment gateway, this client, the PostgreSQL backends of the benchmark's database): on a shared
2-core machine throughput moves with whatever else runs, CPU per booking much less.

Not a timed test: `python -m bench.booking` (about 2 minutes on 2 cores; BENCH_BOOKING_SECONDS and
friends, below, shorten it). Results in bench/results/booking.json.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import aiohttp
import grpc
import psycopg
from hotelagg.booking.v1 import booking_pb2 as bk
from hotelagg.booking.v1 import booking_pb2_grpc
from hotelagg.common.v1 import common_pb2

from bench.common import libpq_url, percentile, postgres_database, record, sandbox_process, served, source_revision

CLIENTS = 32
SWEEP = (16, 32, 64)
ROOM_TYPES = 32
NIGHTS = 60
ROOMS = 1000
HOT_ROOMS = 10_000
PRICE = 10_000
HOTEL = "bench-book"
HOT_HOTEL = "bench-book-hot"
HOT_CODE = "HOT"
FIRST_NIGHT = date.today() + timedelta(days=7)
HOT_NIGHT = FIRST_NIGHT
HOLD_TTL = timedelta(minutes=15)
GOAL_HOT_RATIO = 0.3
GOAL_P99_MS = 50.0

SECONDS = float(os.environ.get("BENCH_BOOKING_SECONDS", "10"))  # each closed-loop measurement
SWEEP_SECONDS = float(os.environ.get("BENCH_BOOKING_SWEEP_SECONDS", "6"))
OPEN_SECONDS = float(os.environ.get("BENCH_BOOKING_OPEN_SECONDS", "20"))
BASELINE_SECONDS = float(os.environ.get("BENCH_BOOKING_BASELINE_SECONDS", "6"))
WARMUP_SECONDS = 2.0

HOLD_SCOPE = "hotelagg.inventory.v1.InventoryService/HoldInventory"
COMMIT_SCOPE = "hotelagg.inventory.v1.InventoryService/CommitHold"
CONFIRM_SCOPE = "hotelagg.booking.v1.BookingService/ConfirmBooking"
LEAD_GUEST = {"given_name": "Ada", "family_name": "Lovelace"}


def _code(room_type: int) -> str:
    return f"R{room_type:02d}"


def distinct_room(client: int, n: int) -> tuple[str, str, date]:
    """Client i's n-th booking: room type i (mod ROOM_TYPES), a new night each time; clients i and
    i + ROOM_TYPES (only when more than ROOM_TYPES clients run) book separate halves of the nights."""
    lane, span = client // ROOM_TYPES, NIGHTS // 2
    return HOTEL, _code(client % ROOM_TYPES), FIRST_NIGHT + timedelta(days=lane * span + n % span)


def hot_room(client: int, n: int) -> tuple[str, str, date]:
    return HOT_HOTEL, HOT_CODE, HOT_NIGHT


Room = Callable[[int, int], tuple[str, str, date]]


# ---- data ----------------------------------------------------------------------------------------


def _setup(url: str) -> None:
    with psycopg.connect(libpq_url(url)) as conn:
        for hotel in (HOTEL, HOT_HOTEL):
            conn.execute("INSERT INTO hotels (id, name, city, city_key, country_code, latitude, longitude, "
                         "time_zone, currency_code, created_at, updated_at) VALUES (%s, %s, 'Paris', 'paris', "
                         "'FR', 48.8, 2.3, 'Europe/Paris', 'EUR', now(), now())", (hotel, hotel))
        conn.execute("INSERT INTO room_types (hotel_id, code, name, max_occupancy, total_rooms, created_at, "
                     "updated_at) SELECT %s, 'R' || lpad(i::text, 2, '0'), 'Room ' || i, 2, %s, now(), now() "
                     "FROM generate_series(0, %s) i", (HOTEL, ROOMS, ROOM_TYPES - 1))
        conn.execute("INSERT INTO room_types (hotel_id, code, name, max_occupancy, total_rooms, created_at, "
                     "updated_at) VALUES (%s, %s, 'Hot', 2, %s, now(), now())", (HOT_HOTEL, HOT_CODE, HOT_ROOMS))
        conn.execute("INSERT INTO inventory (room_type_id, night, hotel_id, total, available, held, price_minor, "
                     "updated_at) SELECT rt.id, %s::date + n, rt.hotel_id, rt.total_rooms, rt.total_rooms, 0, %s, "
                     "now() FROM room_types rt, generate_series(0, %s) n WHERE rt.hotel_id = %s",
                     (FIRST_NIGHT, PRICE, NIGHTS, HOTEL))
        conn.execute("INSERT INTO inventory (room_type_id, night, hotel_id, total, available, held, price_minor, "
                     "updated_at) SELECT rt.id, %s::date + n, rt.hotel_id, rt.total_rooms, rt.total_rooms, 0, %s, "
                     "now() FROM room_types rt, generate_series(0, 1) n WHERE rt.hotel_id = %s",
                     (HOT_NIGHT, PRICE, HOT_HOTEL))
        conn.commit()
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _reset(url: str) -> None:
    """Every night back to all rooms free, no bookings, holds or idempotency keys: each phase starts alike."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("TRUNCATE bookings, holds, idempotency_keys")
        conn.execute("UPDATE inventory SET held = 0, available = total")
        conn.execute("VACUUM ANALYZE inventory, bookings, holds, idempotency_keys")
        conn.execute("CHECKPOINT")


def _state(url: str) -> dict:
    with psycopg.connect(libpq_url(url)) as conn:
        statuses = dict(conn.execute("SELECT status, count(*) FROM bookings GROUP BY status").fetchall())
        hot = conn.execute("SELECT i.available, i.held FROM inventory i JOIN room_types rt ON rt.id = i.room_type_id "
                           "WHERE rt.hotel_id = %s AND i.night = %s", (HOT_HOTEL, HOT_NIGHT)).fetchone()
        sold, held = conn.execute("SELECT coalesce(sum(total - available), 0), coalesce(sum(held), 0) "
                                  "FROM inventory").fetchone()
        holds = dict(conn.execute("SELECT status, count(*) FROM holds GROUP BY status").fetchall())
    return {"bookings": statuses, "holds": holds, "rooms_sold": int(sold), "rooms_held": int(held),
            "hot_night_available": hot[0], "hot_night_held": hot[1]}


# ---- the baseline: our path's SQL, straight on PostgreSQL -----------------------------------------

BOOKING_COLUMNS = ("b.id, b.user_id, b.hotel_id, b.room_type_id, b.check_in, b.check_out, b.rooms, b.guests, "
                   "b.lead_guest, b.status, b.expires_at, b.currency_code, b.total_minor, b.paid_minor, "
                   "b.fee_minor, b.channel, b.hold_id, b.channel_manager_reservation_id, b.payment_reference, "
                   "b.partner_reservation_id, b.partner_revision, b.over_capacity, b.request_id, b.request_hash, "
                   "b.failure_reason, b.cancel_reason, b.version, b.created_at, b.updated_at, rt.code")
NIGHT_COLUMNS = ("night, total, available, held, price_minor, min_stay, max_stay, closed_to_arrival, "
                 "closed_to_departure, stop_sell, version")
HOLD_COLUMNS = ("h.id, h.hotel_id, h.room_type_id, h.check_in, h.check_out, h.quantity, h.status, h.expires_at, "
                "h.created_at, h.version, h.total_minor, rt.code")

GET_HOTEL = ("SELECT id, name, city, city_key, country_code, latitude, longitude, time_zone, currency_code, "
             "channel_manager_id, channel_manager_url, channel_manager_hotel_code, overbooking_allowance, "
             "free_cancellation_hours, cancellation_fee_percent, version, created_at, updated_at "
             "FROM hotels WHERE id = %s")
GET_ROOM_TYPES = ("SELECT id, hotel_id, code, name, max_occupancy, total_rooms, version, created_at, updated_at "
                  "FROM room_types WHERE hotel_id = ANY(%s) ORDER BY hotel_id, code")
BOOKING_BY_REQUEST = (f"SELECT {BOOKING_COLUMNS} FROM bookings b JOIN room_types rt ON rt.id = b.room_type_id "
                      "WHERE b.request_id = %s")
BOOKING_BY_ID = (f"SELECT {BOOKING_COLUMNS} FROM bookings b JOIN room_types rt ON rt.id = b.room_type_id "
                 "WHERE b.id = %s")
ROOM_TYPE_ID = "SELECT id FROM room_types WHERE hotel_id = %s AND code = %s"
INSERT_BOOKING = ("INSERT INTO bookings (id, user_id, hotel_id, room_type_id, check_in, check_out, rooms, guests, "
                  "lead_guest, status, currency_code, total_minor, channel, request_id, request_hash, created_at, "
                  "updated_at) VALUES (%s, %s, %s, %s, %s, %s, 1, 1, %s, 'pending', 'EUR', 0, 'hotelagg', %s, %s, "
                  "%s, %s)")
LOCK_AND_READ_KEY = ("SELECT k.scope, k.name, pg_try_advisory_xact_lock(hashtextextended(k.scope || E'\\n' || "
                     "k.name, 0)) AS locked, stored.request_hash, stored.response "
                     "FROM unnest(CAST(%s AS text[]), CAST(%s AS text[])) AS k(scope, name) "
                     "LEFT JOIN idempotency_keys AS stored ON stored.scope = k.scope AND stored.key = k.name")
STAY_NIGHTS = (f"SELECT rt.id, h.currency_code, {', '.join('i.' + c for c in NIGHT_COLUMNS.split(', '))} "
               "FROM room_types rt JOIN hotels h ON h.id = rt.hotel_id LEFT OUTER JOIN inventory i "
               "ON i.room_type_id = rt.id AND i.night >= %s AND i.night <= %s "
               "WHERE rt.hotel_id = %s AND rt.code = %s")
INSERT_HOLD = ("INSERT INTO holds (id, hotel_id, room_type_id, check_in, check_out, quantity, status, expires_at, "
               "total_minor, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, 1, 'held', %s, %s, %s, %s)")
HOLD_NIGHTS = ("UPDATE inventory SET held = held + CASE WHEN night = %(night)s THEN 1 ELSE 0 END, "
               "version = version + 1, updated_at = %(now)s WHERE room_type_id = %(room_type)s "
               "AND night IN (%(night)s) AND available - held >= CASE WHEN night = %(night)s THEN 1 ELSE 0 END "
               f"RETURNING {NIGHT_COLUMNS}")
INSERT_KEY = ("INSERT INTO idempotency_keys (scope, key, request_hash, status, response, locked_until, created_at, "
              "expires_at) VALUES (%s, %s, %s, 'done', %s, %s, %s, %s)")
BOOKING_HOLD = ("UPDATE bookings SET total_minor = %s, hold_id = %s, version = version + 1, updated_at = %s "
                "WHERE id = %s AND version = %s")
BOOKING_HELD = ("UPDATE bookings SET status = 'held', expires_at = %s, payment_reference = %s, "
                "version = version + 1, updated_at = %s WHERE id = %s AND version = %s")
BOOKING_PAID = ("UPDATE bookings SET paid_minor = %s, version = version + 1, updated_at = %s "
                "WHERE id = %s AND version = %s")
BOOKING_CONFIRMED = ("UPDATE bookings SET status = 'confirmed', expires_at = NULL, version = version + 1, "
                     "updated_at = %s WHERE id = %s AND version = %s")
HOLD_FOR_UPDATE = (f"SELECT {HOLD_COLUMNS} FROM holds h JOIN room_types rt ON rt.id = h.room_type_id "
                   "WHERE h.id = %s FOR UPDATE")
HOLD_BY_ID = f"SELECT {HOLD_COLUMNS} FROM holds h JOIN room_types rt ON rt.id = h.room_type_id WHERE h.id = %s"
HOLD_COMMITTED = ("UPDATE holds SET status = 'committed', version = version + 1, updated_at = %s "
                  "WHERE id = %s AND status = 'held'")
SELL_NIGHTS = ("UPDATE inventory SET available = available - %s, held = held - %s, version = version + 1, "
               f"updated_at = %s WHERE room_type_id = %s AND night >= %s AND night < %s RETURNING {NIGHT_COLUMNS}")
CURRENCY = "SELECT currency_code FROM hotels WHERE id = %s"

RESPONSE = bytes(range(140))  # a stored answer the size of our HoldInventory/CommitHold/ConfirmBooking answers


def _digest(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


class SoldOut(Exception):
    pass


async def baseline_booking(conn: psycopg.AsyncConnection, hotel: str, code: str, night: date, everything: bool,
                           marks: list[float]) -> None:
    """One booking, statement for statement as our CreateBooking + ConfirmBooking run it on PostgreSQL.

    With everything=False, only the transactions that commit a change (each with all its statements)."""

    async def read_only(*statements: tuple[str, tuple], rollback: bool = True) -> None:
        """A read-only unit of work: ours ends db.reading() with COMMIT, an uncommitted unit_of_work()
        (store.read, the re-read after store.change, a key check) with ROLLBACK — which also makes
        psycopg forget its prepared statements, here as there."""
        if everything:
            async with conn.transaction():
                for sql, params in statements:
                    await (await conn.execute(sql, params)).fetchall()
                if rollback:
                    raise psycopg.Rollback()

    async def reread(booking_id: str) -> None:
        await read_only((BOOKING_BY_ID, (booking_id,)))

    check_out = night + timedelta(days=1)
    request_id = uuid.uuid4().hex
    booking_id = str(uuid.uuid4())
    hold_id = str(uuid.uuid4())
    payment = f"pay_{uuid.uuid4().hex[:24]}"
    now = datetime.now(timezone.utc)
    # CreateBooking
    await read_only((GET_HOTEL, (hotel,)), (GET_ROOM_TYPES, ([hotel],)), rollback=False)
    async with conn.transaction():  # store.claim
        await (await conn.execute(BOOKING_BY_REQUEST, (request_id,))).fetchall()
        room_type_id = (await (await conn.execute(ROOM_TYPE_ID, (hotel, code))).fetchone())[0]
        await conn.execute(INSERT_BOOKING, (booking_id, "bench-user", hotel, room_type_id, night, check_out,
                                            json.dumps(LEAD_GUEST), request_id, _digest(request_id), now, now))
    await read_only((BOOKING_BY_REQUEST, (request_id,)), rollback=False)
    held_at = datetime.now(timezone.utc)
    async with conn.transaction():  # HoldInventory: the hold batcher's transaction, a batch of one
        await (await conn.execute(LOCK_AND_READ_KEY, ([HOLD_SCOPE], [f"{booking_id}:hold"]))).fetchall()
        await (await conn.execute(STAY_NIGHTS, (night, check_out, hotel, code))).fetchall()
        await conn.execute(INSERT_HOLD, (hold_id, hotel, room_type_id, night, check_out, held_at + HOLD_TTL, PRICE,
                                         held_at, held_at))
        rows = await (await conn.execute(HOLD_NIGHTS, {"night": night, "now": held_at,
                                                       "room_type": room_type_id})).fetchall()
        if len(rows) != 1:
            raise SoldOut()
        await conn.execute(INSERT_KEY, (HOLD_SCOPE, f"{booking_id}:hold", _digest(booking_id, "hold"), RESPONSE,
                                        held_at, held_at, held_at + timedelta(hours=24)))
    async with conn.transaction():  # store.change: the hold on the booking
        await conn.execute(BOOKING_HOLD, (PRICE, hold_id, now, booking_id, 1))
    await reread(booking_id)
    async with conn.transaction():  # store.move: HELD, with the authorization
        await conn.execute(BOOKING_HELD, (held_at + HOLD_TTL, payment, now, booking_id, 2))
    await reread(booking_id)
    marks.append(time.perf_counter())
    # ConfirmBooking
    confirm_id = uuid.uuid4().hex
    await read_only((LOCK_AND_READ_KEY, ([CONFIRM_SCOPE], [confirm_id])))
    await reread(booking_id)
    now = datetime.now(timezone.utc)
    async with conn.transaction():  # store.change: the capture
        await conn.execute(BOOKING_PAID, (PRICE, now, booking_id, 3))
    await reread(booking_id)
    committed_at = datetime.now(timezone.utc)
    async with conn.transaction():  # CommitHold through Idempotency.run
        await (await conn.execute(LOCK_AND_READ_KEY, ([COMMIT_SCOPE], [f"{booking_id}:commit"]))).fetchall()
        await (await conn.execute(HOLD_FOR_UPDATE, (hold_id,))).fetchall()
        await conn.execute(HOLD_COMMITTED, (committed_at, hold_id))
        await (await conn.execute(SELL_NIGHTS, (1, 1, committed_at, room_type_id, night, check_out))).fetchall()
        await (await conn.execute(HOLD_BY_ID, (hold_id,))).fetchall()
        await (await conn.execute(CURRENCY, (hotel,))).fetchall()
        await conn.execute(INSERT_KEY, (COMMIT_SCOPE, f"{booking_id}:commit", _digest(booking_id, "commit"), RESPONSE,
                                        committed_at, committed_at, committed_at + timedelta(hours=24)))
    async with conn.transaction():  # store.move: CONFIRMED
        await conn.execute(BOOKING_CONFIRMED, (now, booking_id, 4))
    await reread(booking_id)
    done = datetime.now(timezone.utc)
    async with conn.transaction():  # Idempotency.run_outside stores ConfirmBooking's answer
        await conn.execute(INSERT_KEY, (CONFIRM_SCOPE, confirm_id, _digest(confirm_id), RESPONSE, done, done,
                                        done + timedelta(hours=24)))


# ---- measuring --------------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pattern: str) -> list[int]:
    """This process's children whose command line contains pattern."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline") as f:
                command = f.read().replace("\0", " ")
        except OSError:
            continue
        if parent == os.getpid() and pattern in command:
            found.append(int(entry))
    return found


class CpuMeter:
    """CPU seconds each process spends during a window: ours (server, gateway), this client, and the
    PostgreSQL backends serving the benchmark's database (those alive at the end of the window); and
    the database's committed and rolled-back transactions (pg_stat_database: backends report at most
    once a second, so these are approximate)."""

    def __init__(self, url: str, processes: dict[str, int]) -> None:
        self.url = url
        self.processes = {**processes, "bench_client": os.getpid()}
        self._start: dict[str, float] = {}
        self._backends: dict[int, float] = {}
        self._transactions: tuple[int, int] = (0, 0)
        self.used: dict[str, float] = {}
        self.transactions: tuple[int, int] = (0, 0)

    def _database(self) -> tuple[list[int], tuple[int, int]]:
        with psycopg.connect(libpq_url(self.url), autocommit=True) as conn:
            pids = [row[0] for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
            commits, rollbacks = conn.execute("SELECT xact_commit, xact_rollback FROM pg_stat_database "
                                              "WHERE datname = current_database()").fetchone()
        return pids, (commits, rollbacks)

    def start(self) -> None:
        self._start = {name: _cpu_seconds(pid) for name, pid in self.processes.items()}
        pids, self._transactions = self._database()
        self._backends = {pid: _cpu_seconds(pid) for pid in pids}

    def stop(self) -> None:
        self.used = {name: _cpu_seconds(pid) - self._start[name] for name, pid in self.processes.items()}
        pids, (commits, rollbacks) = self._database()
        self.used["postgres_backends"] = sum(_cpu_seconds(pid) - self._backends.get(pid, 0.0) for pid in pids)
        self.transactions = (commits - self._transactions[0], rollbacks - self._transactions[1])

    def per_booking(self, bookings: int) -> dict:
        per = {name: round(1000 * used / max(bookings, 1), 2) for name, used in self.used.items()}
        return {"cpu_ms_per_booking": {**per, "total": round(sum(per.values()), 2)},
                "approx_commits_per_booking": round(self.transactions[0] / max(bookings, 1), 1),
                "approx_rollbacks_per_booking": round(self.transactions[1] / max(bookings, 1), 1)}


@dataclass
class Sample:
    begun: float  # the send, or (open loop) the scheduled arrival
    done: float
    create: float  # from `begun`
    confirm: float
    create_service: float  # from the send
    lag: float  # how late the send was (open loop)


@dataclass
class Run:
    """What the clients of one measurement saw. Closed loop: the bookings finished inside the window count;
    open loop: the bookings scheduled inside it."""

    window: tuple[float, float] = (0.0, 0.0)
    open_loop: bool = False
    samples: list[Sample] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    cpu: CpuMeter | None = None

    def fail(self, what: str) -> None:
        self.failures[what] = self.failures.get(what, 0) + 1

    def counted(self) -> list[Sample]:
        start, end = self.window
        if self.open_loop:
            return [s for s in self.samples if start <= s.begun < end]
        return [s for s in self.samples if start <= s.done <= end]

    def summary(self) -> dict:
        counted = self.counted()
        seconds = self.window[1] - self.window[0]

        def ms(values: list[float], p: float) -> float:
            return round(percentile(values, p) * 1000, 2)

        create = [s.create for s in counted]
        confirm = [s.confirm for s in counted]
        booking = [s.done - s.begun for s in counted]
        result = {"bookings": len(counted), "seconds": round(seconds, 2),
                  "bookings_per_second": round(len(counted) / seconds, 1),
                  "create_p50_ms": ms(create, 50), "create_p99_ms": ms(create, 99),
                  "confirm_p50_ms": ms(confirm, 50), "confirm_p99_ms": ms(confirm, 99),
                  "booking_p50_ms": ms(booking, 50), "booking_p99_ms": ms(booking, 99),
                  "failed": dict(self.failures)}
        if self.open_loop:
            service = [s.create_service for s in counted]
            lag = [s.lag for s in counted]
            result.update(create_service_p50_ms=ms(service, 50), create_service_p99_ms=ms(service, 99),
                          send_lag_p99_ms=ms(lag, 99), send_lag_max_ms=round(max(lag, default=0) * 1000, 2))
        if self.cpu is not None and self.cpu.used:
            result.update(self.cpu.per_booking(
                len([s for s in self.samples if self.window[0] <= s.done <= self.window[1]])))
        return result


def _pb(day: date) -> common_pb2.Date:
    return common_pb2.Date(year=day.year, month=day.month, day=day.day)


def create_request(hotel: str, code: str, night: date) -> bk.CreateBookingRequest:
    return bk.CreateBookingRequest(
        request_id=uuid.uuid4().hex, user_id="bench-user", hotel_id=hotel, room_type_code=code,
        check_in=_pb(night), check_out=_pb(night + timedelta(days=1)), rooms=1, guests=1, payment_token="tok_visa",
        lead_guest=bk.Guest(**LEAD_GUEST))


def _reason(error: grpc.aio.AioRpcError) -> str:
    return f"{error.code().name}: {(error.details() or '')[:80]}"


Book = Callable[..., Awaitable[None]]


def api_booker(stub: booking_pb2_grpc.BookingServiceStub, room: Room) -> Book:
    """A booking through the API: CreateBooking, then ConfirmBooking of what it made."""

    async def book(run: Run, client: int, n: int, scheduled: float | None = None) -> None:
        hotel, code, night = room(client, n)
        sent = time.perf_counter()
        begun = scheduled if scheduled is not None else sent
        try:
            created = await stub.CreateBooking(create_request(hotel, code, night))
        except grpc.aio.AioRpcError as error:
            run.fail("create " + _reason(error))
            return
        made = time.perf_counter()
        try:
            await stub.ConfirmBooking(bk.ConfirmBookingRequest(request_id=uuid.uuid4().hex,
                                                               booking_id=created.booking.booking_id))
        except grpc.aio.AioRpcError as error:
            run.fail("confirm " + _reason(error))
            return
        done = time.perf_counter()
        run.samples.append(Sample(begun, done, made - begun, done - made, made - sent, sent - begun))

    return book


def baseline_booker(connections: list[psycopg.AsyncConnection], room: Room, everything: bool) -> Book:
    """A booking as its SQL alone, on the client's own connection."""

    async def book(run: Run, client: int, n: int, scheduled: float | None = None) -> None:
        hotel, code, night = room(client, n)
        marks: list[float] = []
        begun = time.perf_counter()
        try:
            await baseline_booking(connections[client], hotel, code, night, everything, marks)
        except SoldOut:
            run.fail("sold out")
            return
        done = time.perf_counter()
        run.samples.append(Sample(begun, done, marks[0] - begun, done - marks[0], marks[0] - begun, 0.0))

    return book


async def _metered(run: Run, cpu: CpuMeter | None) -> None:
    """Takes the CPU readings at the window's start and end."""
    run.cpu = cpu
    await asyncio.sleep(max(run.window[0] - time.perf_counter(), 0))
    if cpu is not None:
        cpu.start()
    await asyncio.sleep(max(run.window[1] - time.perf_counter(), 0))
    if cpu is not None:
        cpu.stop()


async def measure_closed(book: Book, client_count: int, seconds: float, cpu: CpuMeter | None = None,
                         warmup: float = WARMUP_SECONDS) -> Run:
    """Closed loop: each client books again as soon as its booking is confirmed; after `warmup` seconds,
    `seconds` are counted."""
    start = time.perf_counter()
    run = Run(window=(start + warmup, start + warmup + seconds))
    stop = [False]

    async def client(i: int) -> None:
        n = 0
        while not stop[0]:
            await book(run, i, n)
            n += 1

    tasks = [asyncio.create_task(client(i)) for i in range(client_count)]
    await _metered(run, cpu)
    stop[0] = True
    await asyncio.gather(*tasks)
    return run


async def measure_open(book: Book, rate: float, seconds: float, cpu: CpuMeter | None = None,
                       warmup: float = WARMUP_SECONDS) -> Run:
    """Open loop: bookings arrive evenly spaced at `rate`/s whatever the answers (arrival k books as client
    k mod ROOM_TYPES, so one room type sees an arrival every ROOM_TYPES / rate seconds); the arrivals of
    the first `warmup` seconds are not counted."""
    start = time.perf_counter()
    run = Run(window=(start + warmup, start + warmup + seconds), open_loop=True)
    meter = asyncio.create_task(_metered(run, cpu))
    tasks: set[asyncio.Task] = set()
    for k in range(int(rate * (warmup + seconds))):
        scheduled = start + k / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(book(run, k % ROOM_TYPES, k // ROOM_TYPES, scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await meter
    await asyncio.gather(*tasks)
    return run


async def run_baseline(url: str, room: Room, everything: bool, seconds: float) -> dict:
    connections = [await psycopg.AsyncConnection.connect(libpq_url(url), autocommit=True) for _ in range(CLIENTS)]
    try:
        run = await measure_closed(baseline_booker(connections, room, everything), CLIENTS, seconds,
                                   CpuMeter(url, {}))
    finally:
        for conn in connections:
            await conn.close()
    return run.summary()


# ---- processes ----------------------------------------------------------------------------------------


def payment_gateway():
    """The sandbox payment gateway in a process of its own; yields its base URL."""
    return sandbox_process("sandbox.payment_gateway")


async def _gateway_stats(url: str) -> dict:
    async with aiohttp.ClientSession() as session, session.get(url + "/admin/stats") as reply:
        return await reply.json()


# ---- the benchmark ------------------------------------------------------------------------------------


def _line(label: str, summary: dict) -> None:
    cpu = summary.get("cpu_ms_per_booking", {})
    print(f"{label}: {summary['bookings_per_second']} bookings/s, create p50/p99 {summary['create_p50_ms']}/"
          f"{summary['create_p99_ms']} ms, confirm p50/p99 {summary['confirm_p50_ms']}/{summary['confirm_p99_ms']} "
          f"ms, CPU ms/booking {cpu}, commits/rollbacks per booking {summary.get('approx_commits_per_booking')}/"
          f"{summary.get('approx_rollbacks_per_booking')}, failed {summary['failed']}", flush=True)


async def main() -> dict:
    began = time.perf_counter()
    result: dict = {"source": source_revision(), "load_average_before": [round(x, 2) for x in os.getloadavg()],
                    "clients": CLIENTS, "room_types": ROOM_TYPES, "nights": NIGHTS, "hot_rooms": HOT_ROOMS,
                    "seconds_per_run": SECONDS, "baseline_seconds_per_run": BASELINE_SECONDS}
    with postgres_database() as url:
        _setup(url)
        baseline: dict = {}
        for case, room in (("distinct", distinct_room), ("hot", hot_room)):
            for variant, everything in (("committed", False), ("all", True)):
                _reset(url)
                baseline[f"{case}_{variant}"] = await run_baseline(url, room, everything, BASELINE_SECONDS)
                _line(f"baseline SQL, {case}, {variant}", baseline[f"{case}_{variant}"])
        async with payment_gateway() as gateway_url:
            env = {"HOTELAGG_DATABASE_URL": url, "HOTELAGG_PAYMENT_GATEWAY_URL": gateway_url,
                   "HOTELAGG_DB_POOL_SIZE": str(CLIENTS)}
            _reset(url)
            async with served(env, ("inventory", "booking")) as address, grpc.aio.insecure_channel(address) as channel:
                stub = booking_pb2_grpc.BookingServiceStub(channel)
                processes = {"server": _children("servers serve")[0],
                             "payment_gateway": _children("payment_gateway")[0]}
                ours: dict = {}
                for case, room in (("distinct", distinct_room), ("hot", hot_room)):
                    _reset(url)
                    run = await measure_closed(api_booker(stub, room), CLIENTS, SECONDS, CpuMeter(url, processes))
                    ours[case] = {**run.summary(), "state_after": _state(url)}
                    _line(f"ours, {case}, {CLIENTS} clients", ours[case])
                sweep = {CLIENTS: ours["distinct"]["bookings_per_second"]}
                for count in SWEEP:
                    if count != CLIENTS:
                        _reset(url)
                        run = await measure_closed(api_booker(stub, distinct_room), count, SWEEP_SECONDS)
                        summary = run.summary()
                        sweep[count] = summary["bookings_per_second"]
                        _line(f"ours, distinct, {count} clients", summary)
                maximum = max(sweep.values())
                rate = maximum / 2
                _reset(url)
                run = await measure_open(api_booker(stub, distinct_room), rate, OPEN_SECONDS, CpuMeter(url, processes))
                open_loop = {"offered_bookings_per_second": round(rate, 1), **run.summary(), "state_after": _state(url)}
                _line(f"ours, distinct, open loop at {rate:.1f}/s", open_loop)
            gateway = await _gateway_stats(gateway_url)
    hot_ratio = ours["hot"]["bookings_per_second"] / baseline["hot_committed"]["bookings_per_second"]
    create_p99_met = open_loop["create_p99_ms"] <= GOAL_P99_MS and not open_loop["failed"]

    def ratio(case: str, variant: str) -> float:
        return round(ours[case]["bookings_per_second"] / baseline[f"{case}_{variant}"]["bookings_per_second"], 3)

    result.update({
        "bookings_per_second": {
            "distinct": {"ours": ours["distinct"]["bookings_per_second"],
                         "baseline_committed": baseline["distinct_committed"]["bookings_per_second"],
                         "baseline_all": baseline["distinct_all"]["bookings_per_second"]},
            "hot": {"ours": ours["hot"]["bookings_per_second"],
                    "baseline_committed": baseline["hot_committed"]["bookings_per_second"],
                    "baseline_all": baseline["hot_all"]["bookings_per_second"]},
        },
        "ratios": {"distinct_vs_committed": ratio("distinct", "committed"), "distinct_vs_all": ratio("distinct", "all"),
                   "hot_vs_committed": ratio("hot", "committed"), "hot_vs_all": ratio("hot", "all")},
        "ours": ours,
        "baseline_sql": baseline,
        "distinct_throughput_by_clients": {str(k): v for k, v in sorted(sweep.items())},
        "max_distinct_bookings_per_second": maximum,
        "open_loop_half_max": open_loop,
        "goals": {"hot_ratio": GOAL_HOT_RATIO, "hot_ratio_met": hot_ratio >= GOAL_HOT_RATIO,
                  "create_p99_ms": GOAL_P99_MS, "create_p99_met": create_p99_met},
        "goal_met": hot_ratio >= GOAL_HOT_RATIO and create_p99_met,
        "payment_gateway_payments": gateway.get("payments"),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "wall_seconds": round(time.perf_counter() - began, 1),
    })
    record("booking", result)
    return result


if __name__ == "__main__":
    asyncio.run(main())
