"""HTTP plumbing shared by the API and admin routes: app keys, JSON answers, auth, request counts,
and the idempotent execution of every POST."""

from __future__ import annotations

import hmac
import logging
from collections import Counter
from collections.abc import Awaitable, Callable

from aiohttp import web

from ..common.http import MAX_IDEMPOTENCY_KEY, answer, dumps, json_error_middleware, raw_answer, replayed
from .config import Config
from .faults import exempt
from .idempotency import IdempotencyStore, fingerprint
from .ledger import Ledger
from .model import PaymentError
from .validation import parse_json

log = logging.getLogger("sandbox.payment_gateway")

CONFIG = web.AppKey("config", Config)
LEDGER = web.AppKey("ledger", Ledger)
IDEMPOTENCY = web.AppKey("idempotency", IdempotencyStore)
REQUESTS = web.AppKey("requests", Counter)

Produce = Callable[[dict], Awaitable[tuple[int, dict]]]


def error_answer(error: PaymentError) -> web.Response:
    # A caller told "in use" should come back shortly, not give up: say when.
    headers = {"Retry-After": "1"} if error.code == "idempotency_key_in_use" else None
    return answer(error.to_json(), error.http_status, headers)


@web.middleware
async def count_requests(request: web.Request, handler):
    """Outermost, so faulted, refused and replayed requests count: a test can see what reached us."""
    if exempt(request.path):
        return await handler(request)
    route = request.match_info.route.resource
    counts = request.app[REQUESTS]
    counts["total"] += 1
    counts[f"route:{request.method} {route.canonical if route else request.path}"] += 1
    response = await handler(request)
    counts[f"status:{response.status}"] += 1
    return response


json_errors = json_error_middleware(PaymentError, error_answer, log)


def auth_middleware(api_key: str):
    @web.middleware
    async def require_bearer(request: web.Request, handler):
        if not exempt(request.path):
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {api_key}".encode()):
                error = PaymentError("unauthorized", "missing or wrong Authorization: Bearer <key>")
                return answer(error.to_json(), 401, {"WWW-Authenticate": "Bearer"})
        return await handler(request)

    return require_bearer


async def idempotent(request: web.Request, produce: Produce) -> web.Response:
    """Replays the first answer stored under the Idempotency-Key, or produces one and stores it.

    Lookup and store happen without an await between them unless `produce` itself waits (tok_timeout);
    while it waits the key is marked in flight, so a concurrent duplicate is told so instead of
    producing a second payment.
    """
    key = _idempotency_key(request)
    body = parse_json(await request.read())
    request_print = fingerprint(request.method, request.path, body)
    store = request.app[IDEMPOTENCY]
    stored = store.replay(key, request_print)
    if stored is not None:
        return replayed(stored.status, stored.body)
    store.begin(key, request_print)
    status, raw = 500, None
    try:
        status, raw = await _attempt(produce, body)
        return raw_answer(raw, status)
    finally:
        # 5xx and anything raised (400s, cancellation) are not answers to keep: nothing was done.
        store.finish(key, request_print, status, raw if raw is not None and status < 500 else None)


async def _attempt(produce: Produce, body: dict) -> tuple[int, bytes]:
    try:
        status, data = await produce(body)
    except PaymentError as error:
        if error.code == "bad_request" or error.code == "amount_too_large":
            raise  # malformed: nothing was attempted, so a corrected retry is a first attempt
        status, data = error.http_status, error.to_json()
    return status, dumps(data)


def _idempotency_key(request: web.Request) -> str:
    key = request.headers.get("Idempotency-Key")
    if key is None or not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
        raise PaymentError("bad_request", f"Idempotency-Key: required, 1 to {MAX_IDEMPOTENCY_KEY} characters",
                           field="Idempotency-Key")
    return key
