"""The ARI routes hotelagg calls (PROTOCOL.md "What we send it"), one set per protocol.

The handlers only read the request and write the answer in their protocol's shape; `desk.py` decides.
"""

from __future__ import annotations

from aiohttp import web

from ..common.http import answer
from .ari_json import parse_ari
from .ari_ota import AVAIL, RATES, changes, hotel_code
from .desk import AriRequest, Outcome
from .model import PartnerError, invalid
from .ota import notice, parse_document
from .plumbing import STATE, STATUS
from .validation import parse_json

MAX_IDEMPOTENCY_KEY = 200  # PROTOCOL.md: Idempotency-Key of 1..200 characters
MAX_ECHO_TOKEN = 255  # the key plus ":avail" or ":rates"
XML_TYPES = ("application/xml", "text/xml")


def _require_type(request: web.Request, allowed: tuple[str, ...]) -> None:
    if request.content_type not in allowed:
        raise invalid("Content-Type", f"must be {' or '.join(allowed)}, not {request.content_type}")


def _record(request: web.Request, message: str, outcome: Outcome, status: int,
            property_code: str | None, key: str | None) -> None:
    request.app[STATE].ledger.record(
        message, outcome.kind, status, property_code=property_code, key=key, nights=outcome.nights,
        reason=outcome.error.code if outcome.error else None)


async def receive_json(request: web.Request) -> web.Response:
    raw = await request.read()

    def parse():
        _require_type(request, ("application/json",))
        return parse_ari(parse_json(raw))

    ari = AriRequest("ari", request.match_info["property_code"], request.headers.get("Idempotency-Key"),
                     "Idempotency-Key", MAX_IDEMPOTENCY_KEY, parse)
    outcome = request.app[STATE].desk.receive(ari)
    response = json_answer(outcome)
    _record(request, ari.message, outcome, response.status, ari.property_code, ari.key)
    return response


def json_answer(outcome: Outcome) -> web.Response:
    if outcome.kind == "rate_limited":
        return answer({"error": {"code": "RATE_LIMITED", "message": "too many requests for this property",
                                 "retry_after_seconds": outcome.retry_after}},
                      429, {"Retry-After": str(outcome.retry_after)})
    if outcome.kind == "refused":
        return answer(outcome.error.to_json(), STATUS[outcome.error.code])
    return answer({"applied": outcome.kind == "applied", "nights": outcome.nights})


async def receive_ota(request: web.Request) -> web.Response:
    message = request.match_info["message"]
    if message not in (AVAIL, RATES):
        raise web.HTTPNotFound(reason=f"no OTA message {message} here")
    raw = await request.read()
    root, ari = None, None
    try:
        _require_type(request, XML_TYPES)
        root = parse_document(raw, message)
        ari = AriRequest(message, hotel_code(root, message), root.get("EchoToken"), "EchoToken",
                         MAX_ECHO_TOKEN, lambda: changes(root, message))
    except PartnerError as error:
        outcome = Outcome("refused", error=error)  # not even the property is known: nothing to count
    else:
        outcome = request.app[STATE].desk.receive(ari)
    echo_token = root.get("EchoToken") if root is not None else None
    response = ota_answer(message, echo_token, outcome)
    _record(request, message, outcome, response.status, ari and ari.property_code, echo_token)
    return response


def ota_answer(message: str, echo_token: str | None, outcome: Outcome) -> web.Response:
    """HTTP 200 for anything settled (Success, or Errors for good); transient trouble is HTTP."""
    name = message.removesuffix("RQ") + "RS"
    status, headers, body = 200, None, None
    if outcome.kind == "rate_limited":
        status, headers = 429, {"Retry-After": str(outcome.retry_after)}
        body = notice(name, echo_token, errors=(("RATE_LIMITED", "too many requests for this property"),))
    elif outcome.kind == "refused":
        body = notice(name, echo_token, errors=((outcome.error.code, outcome.error.message),))
    elif outcome.kind == "replay":
        body = notice(name, echo_token, warnings=(("REPLAY", "EchoToken already applied; nothing changed"),))
    else:
        body = notice(name, echo_token)
    return web.Response(status=status, body=body, content_type="application/xml", headers=headers)


def add_routes(app: web.Application, protocol: str) -> None:
    if protocol == "json_rest":
        app.router.add_post("/v1/properties/{property_code}/ari", receive_json)
    else:
        app.router.add_post("/ota/{message}", receive_ota)
