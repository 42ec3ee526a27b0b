"""Every table of ARCHITECTURE §4 (SQLAlchemy Core). Migrations live in storage/migrations."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from servers.storage.types import BigId, UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _timestamps() -> list[Column]:
    return [
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    ]


hotels = Table(
    "hotels",
    metadata,
    Column("id", String(63), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("city", String(100), nullable=False),
    # Lower-cased city, so the city filter is an index lookup on both backends.
    Column("city_key", String(100), nullable=False, index=True),
    Column("country_code", String(2), nullable=False),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("currency_code", String(3), nullable=False),
    # NULL for direct hotels: we are their source of truth.
    Column("channel_manager_id", String(63)),
    Column("channel_manager_url", String(500)),
    Column("channel_manager_hotel_code", String(100)),
    Column("overbooking_allowance", Integer, nullable=False, server_default="0"),
    # Cancellation policy of confirmed bookings: free until this many hours before check-in, then a fee.
    Column("free_cancellation_hours", Integer, nullable=False, server_default="24"),
    Column("cancellation_fee_percent", Integer, nullable=False, server_default="100"),
    Column("version", BigInteger, nullable=False, server_default="1"),
    *_timestamps(),
    CheckConstraint("overbooking_allowance >= 0", name="overbooking_allowance_non_negative"),
    CheckConstraint("free_cancellation_hours >= 0 AND cancellation_fee_percent BETWEEN 0 AND 100",
                    name="cancellation_policy_range"),
    CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
    CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
    UniqueConstraint("channel_manager_id", "channel_manager_hotel_code"),
)

room_types = Table(
    "room_types",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("hotel_id", String(63), ForeignKey("hotels.id", ondelete="CASCADE"), nullable=False),
    Column("code", String(32), nullable=False),
    Column("name", String(100), nullable=False),
    Column("max_occupancy", Integer, nullable=False),
    Column("total_rooms", Integer, nullable=False),
    Column("version", BigInteger, nullable=False, server_default="1"),
    *_timestamps(),
    UniqueConstraint("hotel_id", "code"),
    CheckConstraint("max_occupancy > 0", name="max_occupancy_positive"),
    CheckConstraint("total_rooms >= 0", name="total_rooms_non_negative"),
)

inventory = Table(
    "inventory",
    metadata,
    Column("room_type_id", BigId, ForeignKey("room_types.id", ondelete="CASCADE"), primary_key=True),
    Column("night", Date, primary_key=True),
    Column("hotel_id", String(63), ForeignKey("hotels.id", ondelete="CASCADE"), nullable=False),
    Column("total", Integer, nullable=False),
    # Rooms not sold (total - sold); a hold needs available - held >= quantity.
    Column("available", Integer, nullable=False),
    Column("held", Integer, nullable=False, server_default="0"),
    # Rooms partners sold beyond capacity (within the hotel's overbooking allowance), awaiting resolution:
    # a room given back on this night first absorbs one of these before it is for sale again.
    Column("oversold", Integer, nullable=False, server_default="0"),
    # Minor units of the hotel's currency; NULL: no rate, not sellable.
    Column("price_minor", BigInteger),
    Column("min_stay", Integer, nullable=False, server_default="0"),
    Column("max_stay", Integer, nullable=False, server_default="0"),
    Column("closed_to_arrival", Boolean, nullable=False, server_default="0"),
    Column("closed_to_departure", Boolean, nullable=False, server_default="0"),
    Column("stop_sell", Boolean, nullable=False, server_default="0"),
    Column("version", BigInteger, nullable=False, server_default="1"),
    # The channel manager's sequence and time of the last applied change (NULL: direct hotel).
    Column("source_sequence", BigInteger),
    Column("source_updated_at", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("total >= 0", name="total_non_negative"),
    CheckConstraint("available >= 0", name="available_non_negative"),
    CheckConstraint("held >= 0", name="held_non_negative"),
    CheckConstraint("oversold >= 0", name="oversold_non_negative"),
    CheckConstraint("available <= total", name="available_within_total"),
    CheckConstraint("price_minor IS NULL OR price_minor >= 0", name="price_non_negative"),
    CheckConstraint("min_stay >= 0 AND max_stay >= 0", name="stay_limits_non_negative"),
    Index("ix_inventory_hotel_night", "hotel_id", "night"),
)

holds = Table(
    "holds",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("hotel_id", String(63), ForeignKey("hotels.id", ondelete="CASCADE"), nullable=False),
    Column("room_type_id", BigId, ForeignKey("room_types.id", ondelete="CASCADE"), nullable=False),
    Column("check_in", Date, nullable=False),
    Column("check_out", Date, nullable=False),
    Column("quantity", Integer, nullable=False),
    # held | released | committed | expired
    Column("status", String(16), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    # Minor units of the hotel's currency, for every room over the stay, at the prices when held.
    Column("total_minor", BigInteger),
    Column("channel_manager_hold_id", String(100)),
    Column("version", BigInteger, nullable=False, server_default="1"),
    *_timestamps(),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint("check_out > check_in", name="stay_not_empty"),
    Index("ix_holds_status_expires_at", "status", "expires_at"),
    Index("ix_holds_room_type_check_in", "room_type_id", "check_in"),
)

users = Table(
    "users",
    metadata,
    Column("id", String(63), primary_key=True),
    Column("email", String(254), unique=True),
    Column("name", String(200)),
    *_timestamps(),
)

bookings = Table(
    "bookings",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(63), nullable=False),
    Column("hotel_id", String(63), ForeignKey("hotels.id"), nullable=False),
    Column("room_type_id", BigId, ForeignKey("room_types.id"), nullable=False),
    Column("check_in", Date, nullable=False),
    Column("check_out", Date, nullable=False),
    Column("rooms", Integer, nullable=False),
    Column("guests", Integer, nullable=False),
    Column("lead_guest", JSON),
    # pending | held | confirmed | cancelling | cancelled | expired | failed
    Column("status", String(16), nullable=False),
    Column("expires_at", UtcDateTime),
    Column("currency_code", String(3), nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("paid_minor", BigInteger, nullable=False, server_default="0"),
    Column("fee_minor", BigInteger, nullable=False, server_default="0"),
    # "hotelagg" or the partner id that sold it.
    Column("channel", String(63), nullable=False),
    Column("hold_id", String(36), ForeignKey("holds.id")),
    Column("channel_manager_reservation_id", String(100)),
    Column("payment_reference", String(100)),
    # The outside call under way (hold, reserve, authorize; commit, capture, confirm), written before
    # it is made: whoever picks the booking up after a crash or a lost answer knows what to ask again.
    Column("step_in_flight", String(16)),
    # The card token, kept only while the booking is pending: an authorization whose answer was lost
    # is asked again under its key to learn its id, so that it can be voided.
    Column("payment_token", String(200)),
    Column("partner_reservation_id", String(100)),
    Column("partner_revision", Integer),
    Column("over_capacity", Boolean, nullable=False, server_default="0"),
    # CreateBooking's idempotency key: the booking row itself claims it (NULL once a create failed,
    # so the key may be used again).
    Column("request_id", String(128), unique=True),
    Column("request_hash", String(64)),
    Column("failure_reason", Text),
    Column("cancel_reason", Text),
    # The booking jobs' backoff: a booking whose step keeps failing waits until retry_at, so a few
    # poisoned ones never starve the rest (failed_attempts counts them, for operators).
    Column("failed_attempts", Integer, nullable=False, server_default="0"),
    Column("retry_at", UtcDateTime),
    Column("version", BigInteger, nullable=False, server_default="1"),
    *_timestamps(),
    CheckConstraint("rooms > 0 AND guests > 0", name="rooms_and_guests_positive"),
    CheckConstraint("check_out > check_in", name="stay_not_empty"),
    CheckConstraint("total_minor >= 0 AND paid_minor >= 0 AND fee_minor >= 0", name="amounts_non_negative"),
    UniqueConstraint("channel", "partner_reservation_id"),
    Index("ix_bookings_user_created", "user_id", "created_at"),
    Index("ix_bookings_hotel_created", "hotel_id", "created_at"),
    Index("ix_bookings_status_expires_at", "status", "expires_at"),
    # The purge of ended holds keeps every hold a booking refers to.
    Index("ix_bookings_hold_id", "hold_id"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    # The RPC (and, for partners, the caller) the key belongs to.
    Column("scope", String(200), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    # in_progress | done
    Column("status", String(16), nullable=False),
    Column("response", LargeBinary),
    # A claim older than this is taken over (its owner died).
    Column("locked_until", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("topic", String(100), nullable=False),
    # Messages with the same key are delivered in order (e.g. "partner:p1:hotel:h1").
    Column("message_key", String(200), nullable=False),
    Column("payload", JSON, nullable=False),
    # pending | published | parked
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("available_at", UtcDateTime, nullable=False),
    Column("published_at", UtcDateTime),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_outbox_status_available_at", "status", "available_at"),
    Index("ix_outbox_status_published_at", "status", "published_at"),
    # The embedded bus claims only the oldest pending message of a key: this keeps that lookup small.
    Index("ix_outbox_pending_key", "topic", "message_key", "id",
          postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
)

partners = Table(
    "partners",
    metadata,
    Column("id", String(63), primary_key=True),
    Column("name", String(200), nullable=False),
    # json_rest | ota_xml
    Column("protocol", String(16), nullable=False),
    Column("endpoint_url", String(500), nullable=False),
    # SHA-256 of the API key; the key itself is never stored.
    Column("api_key_hash", String(64), nullable=False, unique=True),
    Column("api_key_prefix", String(16), nullable=False),
    Column("requests_per_minute", Integer, nullable=False),
    Column("inbound_requests_per_minute", Integer, nullable=False),
    Column("version", BigInteger, nullable=False, server_default="1"),
    *_timestamps(),
    CheckConstraint(
        "requests_per_minute > 0 AND inbound_requests_per_minute > 0", name="rate_limits_positive"
    ),
)

listings = Table(
    "listings",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("partner_id", String(63), ForeignKey("partners.id", ondelete="CASCADE"), nullable=False),
    Column("hotel_id", String(63), ForeignKey("hotels.id", ondelete="CASCADE"), nullable=False),
    Column("room_type_id", BigId, ForeignKey("room_types.id", ondelete="CASCADE"), nullable=False),
    Column("partner_property_code", String(100), nullable=False),
    Column("partner_room_code", String(100), nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("version", BigInteger, nullable=False, server_default="1"),
    *_timestamps(),
    UniqueConstraint("partner_id", "partner_property_code", "partner_room_code"),
    UniqueConstraint("partner_id", "room_type_id"),
    Index("ix_listings_hotel_id", "hotel_id"),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("source", String(63), primary_key=True),
    Column("event_id", String(128), primary_key=True),
    Column("hotel_id", String(63), nullable=False),
    Column("sequence", BigInteger),
    Column("received_at", UtcDateTime, nullable=False, index=True),
    # The event itself (PROTOCOL.md form), kept until it can be applied in sequence order.
    Column("payload", JSON),
    # NULL while waiting for the events before it (a gap); set once applied or found stale.
    Column("applied_at", UtcDateTime),
    Index("ix_webhook_events_pending", "source", "hotel_id", "sequence"),
)

sync_cursors = Table(
    "sync_cursors",
    metadata,
    Column("channel_manager_id", String(63), primary_key=True),
    Column("hotel_id", String(63), ForeignKey("hotels.id", ondelete="CASCADE"), primary_key=True),
    # The highest sequence applied in order; events after a gap wait for the poll.
    Column("last_sequence", BigInteger, nullable=False, server_default="0"),
    Column("feed_cursor", String(200)),
    Column("last_polled_at", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
    # When the hotel was last loaded whole (every night of its ARI read); NULL: never, so the poller
    # loads it. Webhooks create and move the cursor before any load, so it cannot tell this itself.
    Column("loaded_at", UtcDateTime),
)

OPEN_DELIVERY = "status IN ('pending', 'retrying', 'parked')"

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("partner_id", String(63), ForeignKey("partners.id", ondelete="CASCADE"), nullable=False),
    Column("hotel_id", String(63), ForeignKey("hotels.id", ondelete="CASCADE"), nullable=False),
    # pending | retrying | delivered | parked
    Column("status", String(16), nullable=False),
    Column("attempt_count", Integer, nullable=False, server_default="0"),
    Column("change_count", Integer, nullable=False, server_default="0"),
    Column("idempotency_key", String(100), nullable=False, unique=True),
    # The nights [window_start, window_end) whose ARI changed since the last delivery: what it sends.
    Column("window_start", Date),
    Column("window_end", Date),
    # A worker sending it holds it until then; another leaves it alone.
    Column("lease_until", UtcDateTime),
    Column("requests_sent", Integer, nullable=False, server_default="0"),
    Column("payload", JSON),
    Column("last_error", Text),
    Column("next_attempt_at", UtcDateTime),
    Column("delivered_at", UtcDateTime),
    Column("version", BigInteger, nullable=False, server_default="1"),
    *_timestamps(),
    CheckConstraint("attempt_count >= 0 AND change_count >= 0", name="counts_non_negative"),
    Index("ix_deliveries_partner_status", "partner_id", "status"),
    Index("ix_deliveries_status_delivered_at", "status", "delivered_at"),
    # One open (not yet delivered) delivery per partner and hotel: every change merges into it.
    Index("ux_deliveries_open", "partner_id", "hotel_id", unique=True,
          postgresql_where=text(OPEN_DELIVERY), sqlite_where=text(OPEN_DELIVERY)),
)
