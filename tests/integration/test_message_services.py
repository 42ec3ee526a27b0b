import asyncio
import uuid

import aio_pika
from aiormq.abc import ConfirmationFrameType
from pamqp.commands import Basic


async def test_redis_set_and_get_under_the_test_prefix(redis_client):
    key = redis_client.test_prefix + "hotel:paris-grand:2027-01-01:STD"
    assert await redis_client.set(key, b'{"available": 5, "price": 200}', px=60_000)
    assert await redis_client.get(key) == b'{"available": 5, "price": 200}'
    assert 0 < await redis_client.pttl(key) <= 60_000


async def test_redis_set_nx_lets_only_the_first_locker_in(redis_client):
    key = redis_client.test_prefix + "lock:room-type:7:2027-01-01"
    assert await redis_client.set(key, "owner-a", nx=True, px=5_000)
    assert await redis_client.set(key, "owner-b", nx=True, px=5_000) is None
    assert await redis_client.get(key) == b"owner-a"


async def test_rabbitmq_confirms_a_published_message_and_delivers_it_back(amqp_url):
    body = f"hold {uuid.uuid4()}".encode()
    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(f"hotelagg-test-{uuid.uuid4().hex[:8]}", auto_delete=True)
        confirmation: ConfirmationFrameType = await channel.default_exchange.publish(
            aio_pika.Message(body, message_id="m-1", delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=queue.name,
        )
        assert isinstance(confirmation, Basic.Ack)
        async with asyncio.timeout(10):
            async with queue.iterator() as messages:
                async for message in messages:
                    async with message.process():
                        assert (message.body, message.message_id) == (body, "m-1")
                    break
        assert (await queue.declare()).message_count == 0
