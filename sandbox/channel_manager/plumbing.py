"""HTTP plumbing shared by the public and admin routes: app keys, JSON answers, error mapping."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable

from aiohttp import web

from ..common.http import MAX_IDEMPOTENCY_KEY, answer, dumps, json_error_middleware, raw_answer, replayed
from .competitors import Competitors
from .config import Config
from .faults import exempt
from .model import CMError
from .state import State
from .webhooks import Pusher

log = logging.getLogger("sandbox.channel_manager")

CONFIG = web.AppKey("config", Config)
STATE = web.AppKey("state", State)
PUSHER = web.AppKey("pusher", Pusher)
COMPETITORS = web.AppKey("competitors", Competitors)

STATUS = {
    "bad_request": 400, "unauthorized": 401,
    "unknown_hotel": 404, "unknown_room_type": 404, "unknown_reservation": 404,
    "unknown_subscription": 404, "not_found": 404, "method_not_allowed": 405,
    "sold_out": 409, "restricted": 409, "hold_expired": 409, "cancelled": 409,
}


def error_answer(error: CMError) -> web.Response:
    return answer(error.to_json(), STATUS.get(error.code, 500))


json_errors = json_error_middleware(CMError, error_answer, log)


def auth_middleware():
    @web.middleware
    async def require_api_key(request: web.Request, handler):
        if not exempt(request.path):
            given = request.headers.get("X-Api-Key", "")
            # Read per request: an in-process test may rotate the key (CONFIG's api_key) to see 401s.
            expected = request.app[CONFIG].api_key
            if not hmac.compare_digest(given.encode(), expected.encode()):
                raise CMError("unauthorized", "missing or wrong X-Api-Key")
        return await handler(request)

    return require_api_key


def idempotent(request: web.Request, raw_body: bytes, produce: Callable[[bytes], tuple[int, dict]]) -> web.Response:
    """Replays the first answer stored under (operation, key); otherwise produces one and stores it.

    Synchronous between lookup and store, so two concurrent requests with one key cannot both
    produce. Malformed requests (400) are not stored: nothing was attempted, so a corrected retry
    under the same key is a first attempt (as Stripe does). Every other refusal is the answer.
    """
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
        raise CMError("bad_request", f"Idempotency-Key: must be 1 to {MAX_IDEMPOTENCY_KEY} characters",
                      field="Idempotency-Key")
    store = request.app[STATE].idempotency
    scope = f"{request.method} {request.path}"
    if key is not None and (stored := store.get(scope, key)) is not None:
        return replayed(stored.status, stored.body)
    try:
        status, data = produce(raw_body)
    except CMError as error:
        if error.code == "bad_request":
            raise
        status, data = STATUS.get(error.code, 500), error.to_json()
    body = dumps(data)
    if key is not None:
        store.put(scope, key, status, body)
    return raw_answer(body, status)
