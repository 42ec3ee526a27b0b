"""ARI to an ota_xml partner (sandbox/partner/PROTOCOL.md): avail first, then rates, each its own POST.

Avail goes first so that a night never sells at a new price before its new availability and
restrictions are there. If avail succeeds and rates fail, the error propagates: the caller resends
the whole update under the same key, the partner answers the avail again as a REPLAY (it dedupes by
EchoToken, "{key}:avail"), and the rates go out then.

How an answer (HTTP 200 unless noted) is read:
- `<Success/>`, our EchoToken echoed → delivered; its <Warnings> become Receipt.warnings;
- `<Errors>`, our EchoToken echoed → PartnerRejected with the first Error's Code;
- `<Errors>` without any EchoToken → PartnerRejected too: a partner that could not read our
  request had no token to echo, and resending the same bytes would fail the same way;
- another EchoToken (or none with Success) → PartnerUnavailable, see `_check_echo`;
- a 4xx (not 429) → PartnerRejected, with the Error code if the body carries one;
- a body that is not an OTA answer → PartnerRejected("UNREADABLE_ANSWER").
"""

from __future__ import annotations

from functools import partial

from clients.breaker import AsyncCircuitBreaker
from clients.partners.base import AriUpdate, PartnerClient, PartnerRejected, PartnerUnavailable, Receipt
from clients.partners.ota_ari import (
    AVAIL_RQ,
    RATES_RQ,
    avail_echo_token,
    avail_notif_rq,
    rate_amount_notif_rq,
    rates_echo_token,
)
from clients.partners.ota_common import OtaAnswer, OtaFormatError, read_ota_answer
from clients.partners.transport import PartnerHttp

UNREADABLE = "UNREADABLE_ANSWER"
XML_HEADERS = {"Content-Type": "application/xml"}


class OtaXmlPartnerClient(PartnerClient):
    def __init__(self, endpoint_url: str, breaker: AsyncCircuitBreaker, timeout: float = 5.0) -> None:
        self.http = PartnerHttp(endpoint_url, breaker, timeout, "ota_xml partner")

    async def send_ari(self, update: AriUpdate) -> Receipt:
        if update.night_count == 0:
            return Receipt(requests=0)  # an AvailStatusMessages without a message is not valid OTA
        warnings = await self._notify(AVAIL_RQ, avail_notif_rq(update), avail_echo_token(update))
        rates = rate_amount_notif_rq(update)
        if rates is None:
            return Receipt(requests=1, warnings=warnings)
        warnings += await self._notify(RATES_RQ, rates, rates_echo_token(update))
        return Receipt(requests=2, warnings=warnings)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _notify(self, request_name: str, body: bytes, echo_token: str) -> tuple[str, ...]:
        answer_name = request_name.removesuffix("RQ") + "RS"
        read = partial(read_notif_answer, answer_name, echo_token)
        return await self.http.post(f"/ota/{request_name}", body, XML_HEADERS, read)


def read_notif_answer(answer_name: str, echo_token: str, status: int, raw: bytes) -> tuple[str, ...]:
    """The warnings of a successful answer; raises for anything else (see the module's docstring)."""
    if status >= 400:
        raise _rejection(_answer_or_none(raw), status)
    try:
        answer = read_ota_answer(raw)
    except OtaFormatError as error:
        raise PartnerRejected(UNREADABLE, str(error), status) from error
    if answer.name != answer_name:
        raise PartnerRejected(UNREADABLE, f"expected <{answer_name}>, got <{answer.name}>", status)
    if answer.errors and answer.echo_token is None:
        raise _rejection(answer, status)
    _check_echo(answer, echo_token)
    if answer.errors:
        raise _rejection(answer, status)
    return tuple(str(warning) for warning in answer.warnings)


def _check_echo(answer: OtaAnswer, echo_token: str) -> None:
    # An answer carrying another request's token (a mixed-up connection, a confused proxy, a partner
    # bug) is not an answer to ours: neither its Success nor its Errors can be believed. That is a
    # breakdown, not a refusal: it counts against the breaker and the caller resends under the same key.
    if answer.echo_token != echo_token:
        raise PartnerUnavailable(f"<{answer.name}> echoed {answer.echo_token!r}, we sent {echo_token!r}")


def _answer_or_none(raw: bytes) -> OtaAnswer | None:
    try:
        return read_ota_answer(raw)
    except OtaFormatError:
        return None  # the status alone is the refusal


def _rejection(answer: OtaAnswer | None, status: int) -> PartnerRejected:
    if answer is not None and answer.errors:
        first = answer.errors[0]
        return PartnerRejected(first.code, first.text, status)
    return PartnerRejected(f"HTTP_{status}", "", status)
