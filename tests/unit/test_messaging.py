"""The pure parts of messaging: retry decisions, RabbitMQ names and arguments, message encoding."""

from __future__ import annotations

import json

import aio_pika
import pytest

from servers.messaging import EmbeddedBus, Message, Permanent, RabbitBus, RetryPolicy, create_bus
from servers.messaging.bus import decide
from servers.messaging.outbox import check_topic
from servers.messaging.topology import ATTEMPT_HEADER, ERROR_HEADER, KEY_HEADER, Topology, decode, encode, forward
from servers.runtime.config import Settings
from servers.storage.database import Database


def test_the_default_policy_waits_5_s_30_s_then_5_min_and_parks_after_attempt_4():
    policy = RetryPolicy()
    assert policy.max_attempts == 4
    assert [policy.delay_after(attempt) for attempt in (1, 2, 3, 4)] == [5, 30, 300, None]


@pytest.mark.parametrize("tiers", [(0,), (1, -5)])
def test_a_policy_refuses_delays_that_are_not_positive(tiers):
    with pytest.raises(ValueError):
        RetryPolicy(tiers=tiers)


def test_a_policy_without_tiers_parks_after_the_first_failure():
    assert decide(RetryPolicy(tiers=()), 1, RuntimeError("down")).action == "park"


def test_decide_retries_after_the_tier_of_the_failed_attempt_then_parks():
    policy = RetryPolicy(tiers=(0.1, 0.2))
    assert decide(policy, 1, None).action == "done"
    retry = decide(policy, 2, TimeoutError("partner timed out"))
    assert (retry.action, retry.delay, retry.error) == ("retry", 0.2, "TimeoutError: partner timed out")
    assert decide(policy, 3, RuntimeError("down")).action == "park"


def test_a_permanent_failure_parks_on_the_first_attempt():
    outcome = decide(RetryPolicy(), 1, Permanent("422 from the partner"))
    assert (outcome.action, outcome.error) == ("park", "Permanent: 422 from the partner")


def test_a_long_error_is_cut_to_fit():
    assert len(decide(RetryPolicy(), 1, RuntimeError("x" * 10_000)).error) == 2000


@pytest.mark.parametrize("topic", ["", "Partner", "a b", "a/b", "x" * 81, ".hidden"])
def test_topics_that_cannot_be_queue_names_are_refused(topic):
    with pytest.raises(ValueError):
        check_topic(topic)


def test_the_topology_names_work_delay_and_parking_queues_and_dead_letters_back_to_work():
    topology = Topology("hotelagg", RetryPolicy(tiers=(5, 30, 300)))
    assert topology.queues("partner.delivery") == [
        ("hotelagg.partner.delivery", None),
        *(
            (f"hotelagg.partner.delivery.retry.{n}", {
                "x-message-ttl": ttl,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": "hotelagg.partner.delivery",
            })
            for n, ttl in ((1, 5000), (2, 30000), (3, 300000))
        ),
        ("hotelagg.partner.delivery.parked", None),
    ]


def test_a_message_survives_encoding_persistent_with_its_outbox_id():
    message = Message(42, "partner.delivery", "hotel:h1", {"rooms": 2, "guest": "Zoë"}, attempt=1)
    encoded = encode(message)
    assert encoded.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert encoded.message_id == "42" and encoded.content_type == "application/json"
    assert decode(encoded, "partner.delivery") == message


def test_forwarding_counts_the_attempt_records_the_error_and_drops_rabbitmq_death_history():
    original = encode(Message(7, "t", "k", {"a": 1}))
    original.headers["x-death"] = [{"count": 1}]
    original.headers["x-first-death-queue"] = "q"
    retried = forward(original, 2, "RuntimeError: down")
    assert retried.headers == {ATTEMPT_HEADER: 2, KEY_HEADER: "k", ERROR_HEADER: "RuntimeError: down"}
    assert retried.body == original.body and retried.message_id == "7"
    requeued = forward(retried, 1, None)
    assert ERROR_HEADER not in requeued.headers and requeued.headers[ATTEMPT_HEADER] == 1


@pytest.mark.parametrize("body, message_id", [(b"not json", "1"), (json.dumps([1]).encode(), "1"), (b"{}", None)])
def test_a_message_the_bus_did_not_write_cannot_be_decoded(body, message_id):
    with pytest.raises(ValueError):
        decode(aio_pika.Message(body, message_id=message_id), "t")


def test_create_bus_uses_rabbitmq_only_when_an_amqp_url_is_set(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}")
    assert isinstance(create_bus(Settings(database_url=db.url), db), EmbeddedBus)
    rabbit = create_bus(Settings(database_url=db.url, amqp_url="amqp://guest:guest@127.0.0.1/"), db)
    assert isinstance(rabbit, RabbitBus) and rabbit.policy == RetryPolicy()


def test_handlers_are_registered_once_per_topic_before_start(tmp_path):
    bus = EmbeddedBus(Database(f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}"))

    async def handler(message: Message) -> None: ...

    bus.register("partner.delivery", handler)
    with pytest.raises(ValueError):
        bus.register("partner.delivery", handler)
