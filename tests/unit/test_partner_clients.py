"""Partner ARI clients (json_rest, ota_xml) against a small aiohttp partner on port 0, and the OTA
message builders read back with a plain XML parser of the test's own."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import socket
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace

import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from clients.breaker import AsyncCircuitBreaker
from clients.partners import (
    AriNight,
    AriUpdate,
    JsonRestPartnerClient,
    OtaXmlPartnerClient,
    PartnerClient,
    PartnerRateLimited,
    PartnerRejected,
    PartnerUnavailable,
    Receipt,
    RoomAri,
    partner_client,
)
from clients.partners.ota_ari import avail_notif_rq, rate_amount_notif_rq
from clients.partners.transport import parse_retry_after

NS = "http://www.opentravel.org/OTA/2003/05"
Q = f"{{{NS}}}"
FAIL_MAX = 3
D1 = dt.date(2026, 12, 1)
Script = Callable[[str, str | None], web.Response]  # (answer name, the request's EchoToken) → answer


def night(day: int, available: int = 3, price: int | None = 12000, **rules: object) -> AriNight:
    return AriNight(D1 + dt.timedelta(days=day - 1), available, price, **rules)  # type: ignore[arg-type]


def update(*nights: AriNight, key: str = "key-1", prop: str = "PROP1") -> AriUpdate:
    return AriUpdate(prop, (RoomAri("DBL", "EUR", nights),), key)


def rs(name: str, echo: str | None, inner: str) -> bytes:
    echo_attr = f' EchoToken="{echo}"' if echo is not None else ""
    return f'<{name} xmlns="{NS}"{echo_attr} Version="1.0">{inner}</{name}>'.encode()


def xml_answer(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type="application/xml")


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def echo(self) -> str | None:
        return ET.fromstring(self.body).get("EchoToken")


class FakePartner:
    """Both protocols at once; `scripts` answer the next requests in turn, then the partner is honest."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.scripts: list[Script] = []
        self.applied: set[str] = set()
        self.delay = 0.0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/properties/{prop}/ari", self.json_ari)
        app.router.add_post("/ota/{message}", self.ota)
        return app

    async def _record(self, request: web.Request) -> bytes:
        body = await request.read()
        self.seen.append(Seen(request.raw_path, dict(request.headers), body))
        await asyncio.sleep(self.delay)
        return body

    async def json_ari(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if self.scripts:
            return self.scripts.pop(0)("", None)
        key = request.headers["Idempotency-Key"]
        applied, _ = key not in self.applied, self.applied.add(key)
        nights = sum(len(room["nights"]) for room in json.loads(body)["rooms"])
        return web.json_response({"applied": applied, "nights": nights})

    async def ota(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        answer_name = request.match_info["message"].removesuffix("RQ") + "RS"
        token = ET.fromstring(body).get("EchoToken")
        if self.scripts:
            return self.scripts.pop(0)(answer_name, token)
        replay, _ = token in self.applied, self.applied.add(token or "")
        warning = '<Warnings><Warning Type="3" Code="REPLAY" ShortText="seen"/></Warnings>' if replay else ""
        return xml_answer(rs(answer_name, token, "<Success/>" + warning))


def status(code: int, body: bytes = b"", **headers: str) -> Script:
    return lambda name, token: web.Response(body=body, status=code, headers=headers)


def ota(inner: str, echo: str | None | Callable[[str | None], str | None] = lambda token: token) -> Script:
    return lambda name, token: xml_answer(rs(name, echo(token) if callable(echo) else echo, inner))


@pytest.fixture
async def partner() -> AsyncIterator[tuple[FakePartner, str]]:
    fake = FakePartner()
    runner = web.AppRunner(fake.app(), shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield fake, f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.fixture(params=["json_rest", "ota_xml"])
async def client(request, partner) -> AsyncIterator[PartnerClient]:
    breaker = AsyncCircuitBreaker(f"partner-{request.param}", fail_max=FAIL_MAX, reset_timeout=30)
    async with partner_client(request.param, partner[1], breaker, timeout=5) as made:
        yield made


def breaker_of(client: PartnerClient) -> AsyncCircuitBreaker:
    return client.http.breaker  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------ json_rest


@pytest.fixture
async def json_client(partner) -> AsyncIterator[JsonRestPartnerClient]:
    async with JsonRestPartnerClient(partner[1], AsyncCircuitBreaker("json", fail_max=FAIL_MAX)) as made:
        yield made


async def test_json_rest_posts_the_update_with_its_key(json_client, partner) -> None:
    client, (fake, _) = json_client, partner
    sent = update(night(1), night(2, price=None, stop_sell=True, min_stay=2), key="k-42", prop="P/1")
    assert await client.send_ari(sent) == Receipt(requests=1)
    (seen,) = fake.seen
    assert seen.path == "/v1/properties/P%2F1/ari"
    assert seen.headers["Idempotency-Key"] == "k-42" and seen.headers["Content-Type"] == "application/json"
    nights = json.loads(seen.body)["rooms"][0]["nights"]
    assert json.loads(seen.body)["rooms"][0]["room_code"] == "DBL"
    assert nights[0] == {"date": "2026-12-01", "available": 3, "price_minor": 12000, "min_stay": 0,
                         "max_stay": 0, "closed_to_arrival": False, "closed_to_departure": False,
                         "stop_sell": False}
    assert nights[1]["price_minor"] is None and nights[1]["stop_sell"] and nights[1]["min_stay"] == 2
    replay = await client.send_ari(sent)
    assert replay.requests == 1 and replay.warnings[0].startswith("REPLAY")


@pytest.mark.parametrize(("answer", "code"), [
    (status(400, b'{"error": {"code": "INVALID_REQUEST", "message": "bad key"}}'), "INVALID_REQUEST"),
    (status(404, b'{"error": {"code": "UNKNOWN_ROOM", "message": "no DBL"}}'), "UNKNOWN_ROOM"),
    (status(409, b"not json"), "HTTP_409"),
    (status(401), "HTTP_401"),
    (status(200, b'{"nights": 1}'), "UNREADABLE_ANSWER"),
    (status(200, b"<html/>"), "UNREADABLE_ANSWER"),
])
async def test_json_rest_refusals_are_permanent_and_do_not_count(partner, answer, code) -> None:
    fake, url = partner
    breaker = AsyncCircuitBreaker(fail_max=1)
    async with JsonRestPartnerClient(url, breaker) as client:
        fake.scripts = [answer] * 2
        for _ in range(2):
            with pytest.raises(PartnerRejected) as refused:
                await client.send_ari(update(night(1)))
            assert refused.value.code == code and not isinstance(refused.value, PartnerUnavailable)
    assert (breaker.state, breaker.fail_counter) == ("closed", 0)


# ------------------------------------------------------------------------------------ both protocols


async def test_an_update_without_nights_sends_nothing(client, partner) -> None:
    assert await client.send_ari(AriUpdate("PROP1", (RoomAri("DBL", "EUR", ()),), "k")) == Receipt(0)
    assert partner[0].seen == []


@pytest.mark.parametrize("code", [500, 502, 503, 504, 302])
async def test_breakdowns_are_unavailable_and_open_the_breaker(client, partner, code) -> None:
    fake, _ = partner
    fake.scripts = [status(code, **{"Retry-After": "5", "Location": "/elsewhere"})] * FAIL_MAX
    for _ in range(FAIL_MAX):
        with pytest.raises(PartnerUnavailable) as down:
            await client.send_ari(update(night(1)))
        assert not isinstance(down.value, PartnerRateLimited) and not down.value.breaker_open
    assert breaker_of(client).is_open
    with pytest.raises(PartnerUnavailable) as refused:
        await client.send_ari(update(night(1)))
    assert refused.value.breaker_open and 29 < refused.value.retry_after <= 30
    assert len(fake.seen) == FAIL_MAX, "an open breaker must not reach the partner"


@pytest.mark.parametrize(("header", "seconds"), [("7", 7.0), (None, 60.0), ("0", 0.0),
                                                 ("Wed, 25 Nov 2026 10:00:00 GMT", 60.0), ("soon", 60.0)])
async def test_429_is_rate_limited_with_retry_after_and_never_trips(client, partner, header, seconds) -> None:
    fake, _ = partner
    headers = {"Retry-After": header} if header is not None else {}
    fake.scripts = [status(429, **headers)] * (FAIL_MAX + 1)
    for _ in range(FAIL_MAX + 1):
        with pytest.raises(PartnerRateLimited) as limited:
            await client.send_ari(update(night(1)))
        assert limited.value.retry_after == seconds and isinstance(limited.value, PartnerUnavailable)
    assert (breaker_of(client).state, breaker_of(client).fail_counter) == ("closed", 0)


async def test_a_refusal_resets_the_failure_count_but_a_503_adds_to_it(client, partner) -> None:
    fake, _ = partner
    fake.scripts = [status(503), status(400), status(503), status(503)]
    for expected in (PartnerUnavailable, PartnerRejected, PartnerUnavailable, PartnerUnavailable):
        with pytest.raises(expected):
            await client.send_ari(update(night(1)))
    assert breaker_of(client).fail_counter == 2 and not breaker_of(client).is_open


async def test_timeouts_and_refused_connections_are_unavailable(partner) -> None:
    fake, url = partner
    fake.delay = 1.0
    breaker = AsyncCircuitBreaker(fail_max=2)
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for endpoint, timeout in ((url, 0.1), (f"http://127.0.0.1:{port}", 5.0)):
        async with OtaXmlPartnerClient(endpoint, breaker, timeout=timeout) as client:
            with pytest.raises(PartnerUnavailable):
                await client.send_ari(update(night(1)))
    assert breaker.is_open


def test_partner_client_picks_the_protocol() -> None:
    breaker = AsyncCircuitBreaker()
    assert isinstance(partner_client("json_rest", "http://p", breaker, 1), JsonRestPartnerClient)
    assert isinstance(partner_client("ota_xml", "http://p/", breaker, 1), OtaXmlPartnerClient)
    with pytest.raises(ValueError, match="unknown partner protocol"):
        partner_client("soap", "http://p", breaker, 1)


@pytest.mark.parametrize(("value", "seconds"), [("12", 12.0), (" 3 ", 3.0), ("", 60.0), (None, 60.0),
                                                ("-1", 60.0), ("1.5", 60.0), ("１２", 60.0)])
def test_parse_retry_after(value, seconds) -> None:
    assert parse_retry_after(value) == seconds


def test_updates_refuse_what_no_partner_could_apply() -> None:
    with pytest.raises(ValueError, match="twice"):
        update(night(1), night(1, available=2))
    with pytest.raises(ValueError, match="idempotency key"):
        update(night(1), key="")
    with pytest.raises(ValueError, match="idempotency key"):
        update(night(1), key="k" * 201)
    with pytest.raises(ValueError, match="negative"):
        night(1, available=-1)


# -------------------------------------------------------------------------------------------- ota_xml


@pytest.fixture
async def ota_client(partner) -> AsyncIterator[OtaXmlPartnerClient]:
    async with OtaXmlPartnerClient(partner[1], AsyncCircuitBreaker("ota", fail_max=FAIL_MAX)) as made:
        yield made


async def test_ota_sends_avail_then_rates_with_echo_tokens(ota_client, partner) -> None:
    fake, _ = partner
    assert await ota_client.send_ari(update(night(1), night(2), key="k-7")) == Receipt(requests=2)
    assert [seen.path for seen in fake.seen] == ["/ota/OTA_HotelAvailNotifRQ", "/ota/OTA_HotelRateAmountNotifRQ"]
    assert [seen.echo for seen in fake.seen] == ["k-7:avail", "k-7:rates"]
    for seen in fake.seen:
        root = ET.fromstring(seen.body)
        assert seen.headers["Content-Type"] == "application/xml"
        assert root.tag.startswith(Q) and root.get("Version") == "1.0"
        dt.datetime.strptime(root.get("TimeStamp") or "", "%Y-%m-%dT%H:%M:%SZ")


async def test_ota_skips_rates_when_no_night_has_a_price(ota_client, partner) -> None:
    fake, _ = partner
    assert await ota_client.send_ari(update(night(1, price=None), night(2, price=None))) == Receipt(1)
    (seen,) = fake.seen
    masters = [e.get("Status") for e in ET.fromstring(seen.body).iter(f"{Q}RestrictionStatus")
               if e.get("Restriction") == "Master"]
    assert masters == ["Close"]


async def test_ota_warnings_become_the_receipts(ota_client, partner) -> None:
    fake, _ = partner
    fake.scripts = [ota('<Success/><Warnings><Warning Type="3" Code="REPLAY" ShortText="seen"/>'
                        '<Warning Code="ODD"/></Warnings>')]
    receipt = await ota_client.send_ari(update(night(1)))
    assert receipt == Receipt(2, ("REPLAY: seen", "ODD"))


async def test_ota_rates_failing_after_avail_propagates_and_a_resend_completes(ota_client, partner) -> None:
    fake, _ = partner
    fake.scripts = [ota("<Success/>"), status(503)]
    with pytest.raises(PartnerUnavailable):
        await ota_client.send_ari(update(night(1), key="k-9"))
    fake.applied.add("k-9:avail")  # the scripted avail answer stood for an applied one
    receipt = await ota_client.send_ari(update(night(1), key="k-9"))
    assert receipt == Receipt(2, ("REPLAY: seen",))
    assert [seen.echo for seen in fake.seen] == ["k-9:avail", "k-9:rates", "k-9:avail", "k-9:rates"]


ERRORS = '<Errors><Error Type="3" Code="UNKNOWN_PROPERTY" ShortText="no PROP1"/><Error Code="B"/></Errors>'


@pytest.mark.parametrize(("answer", "code"), [
    (ota(ERRORS), "UNKNOWN_PROPERTY"),
    (ota(ERRORS, echo=None), "UNKNOWN_PROPERTY"),
    (lambda name, token: xml_answer(rs(name, token, ERRORS), status=400), "UNKNOWN_PROPERTY"),
    (status(404, b"Not Found"), "HTTP_404"),
    (status(200, b"not xml at all"), "UNREADABLE_ANSWER"),
    (ota(""), "UNREADABLE_ANSWER"),
    (ota("<Success/>" + ERRORS), "UNREADABLE_ANSWER"),
    (lambda name, token: xml_answer(rs("OTA_HotelResNotifRS", token, "<Success/>")), "UNREADABLE_ANSWER"),
    (status(200, b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'), "UNREADABLE_ANSWER"),
])
async def test_ota_refusals_are_permanent_and_do_not_count(ota_client, partner, answer, code) -> None:
    fake, _ = partner
    fake.scripts = [answer]
    with pytest.raises(PartnerRejected) as refused:
        await ota_client.send_ari(update(night(1)))
    assert refused.value.code == code
    assert len(fake.seen) == 1, "a refused avail must not be followed by the rates"
    assert ota_client.http.breaker.fail_counter == 0


@pytest.mark.parametrize("echo", ["someone-else:avail", None, ""])
async def test_ota_an_answer_to_another_request_is_a_breakdown(ota_client, partner, echo) -> None:
    fake, _ = partner
    fake.scripts = [ota("<Success/>", echo=echo)]
    with pytest.raises(PartnerUnavailable) as untrusted:
        await ota_client.send_ari(update(night(1)))
    assert "echoed" in str(untrusted.value) and ota_client.http.breaker.fail_counter == 1


async def test_ota_errors_with_a_wrong_echo_are_not_believed(ota_client, partner) -> None:
    fake, _ = partner
    fake.scripts = [ota(ERRORS, echo="other:avail")]
    with pytest.raises(PartnerUnavailable):
        await ota_client.send_ari(update(night(1)))


# ------------------------------------------------------------------------------ OTA message contents


def test_ota_compresses_consecutive_equal_nights_only() -> None:
    nights = [night(1), night(2), night(3, available=2), night(4, available=2), night(6, available=2),
              night(7, available=2, price=None), night(8, available=2, stop_sell=True)]
    avail = ET.fromstring(avail_notif_rq(update(*reversed(nights))))
    spans = [(c.get("Start"), c.get("End"), m.get("BookingLimit"))
             for m in avail.iter(f"{Q}AvailStatusMessage") for c in m.iter(f"{Q}StatusApplicationControl")]
    assert spans == [("2026-12-01", "2026-12-02", "3"), ("2026-12-03", "2026-12-04", "2"),
                     ("2026-12-06", "2026-12-06", "2"), ("2026-12-07", "2026-12-08", "2")]
    rates = ET.fromstring(rate_amount_notif_rq(update(*nights)) or b"")
    controls = rates.iter(f"{Q}StatusApplicationControl")
    rate_spans = [(c.get("Start"), c.get("End"), c.get("RatePlanCode")) for c in controls]
    assert rate_spans == [("2026-12-01", "2026-12-04", "BAR"), ("2026-12-06", "2026-12-06", "BAR"),
                          ("2026-12-08", "2026-12-08", "BAR")]
    amount = next(rates.iter(f"{Q}BaseByGuestAmt"))
    assert amount.attrib == {"AmountAfterTax": "12000", "DecimalPlaces": "2", "CurrencyCode": "EUR"}


def wire_view(n: AriNight) -> AriNight:
    """What survives the wire: a night without a price is closed, whatever its stop_sell said."""
    return replace(n, stop_sell=n.stop_sell or n.price_minor is None)


def expand(avail: bytes, rates: bytes | None) -> dict[tuple[str, dt.date], AriNight]:
    """The nights the partner would store, read back from the two messages."""
    prices = {key: int(amount.get("AmountAfterTax") or "") for key, amount in _spans(rates, "RateAmountMessage")}
    expanded = {}
    for key, message in _spans(avail, "AvailStatusMessage"):
        stays = {e.get("MinMaxMessageType"): int(e.get("Time") or "") for e in message.iter(f"{Q}LengthOfStay")}
        closed = {e.get("Restriction"): e.get("Status") == "Close" for e in message.iter(f"{Q}RestrictionStatus")}
        assert key not in expanded, f"{key} said twice"
        expanded[key] = AriNight(key[1], int(message.get("BookingLimit") or ""), prices.pop(key, None),
                                 stays["SetMinLOS"], stays["SetMaxLOS"], closed["Arrival"], closed["Departure"],
                                 closed["Master"])
    assert not prices, f"rates for nights without availability: {prices}"
    return expanded


def _spans(body: bytes | None, name: str):
    for message in ET.fromstring(body).iter(f"{Q}{name}") if body else ():
        control = message.find(f"{Q}StatusApplicationControl")
        day, end = dt.date.fromisoformat(control.get("Start")), dt.date.fromisoformat(control.get("End"))
        assert day <= end
        while day <= end:
            target = message.find(f".//{Q}BaseByGuestAmt") if name == "RateAmountMessage" else message
            yield (control.get("InvTypeCode"), day), target
            day += dt.timedelta(days=1)


nights_strategy = st.dictionaries(
    st.integers(0, 40).map(lambda offset: D1 + dt.timedelta(days=offset)),
    st.tuples(st.integers(0, 2), st.sampled_from([None, 9000, 12000]), st.integers(0, 1), st.integers(0, 1),
              st.booleans(), st.booleans(), st.booleans()),
    max_size=30,
).map(lambda by_date: tuple(AriNight(d, *values) for d, values in by_date.items()))


@settings(max_examples=300, deadline=None)
@given(st.lists(nights_strategy, min_size=1, max_size=3))
def test_ota_messages_expand_to_exactly_the_input_nights(rooms) -> None:
    sent = AriUpdate("PROP1", tuple(RoomAri(f"R{i}", "EUR", n) for i, n in enumerate(rooms)), "k")
    avail, rates = avail_notif_rq(sent), rate_amount_notif_rq(sent)
    expected = {(f"R{i}", n.night): wire_view(n) for i, ns in enumerate(rooms) for n in ns}
    assert expand(avail, rates) == expected
    assert (rates is None) == all(n.price_minor is None for ns in rooms for n in ns)
    _assert_maximal(avail, "AvailStatusMessage")
    if rates:
        _assert_maximal(rates, "RateAmountMessage")


def _assert_maximal(body: bytes, name: str) -> None:
    """No two messages of a room that touch carry equal values: they should have been one."""
    def value(message: ET.Element) -> tuple:
        rest = [e for e in message.iter() if e.tag != f"{Q}StatusApplicationControl"]
        return tuple((e.tag, tuple(sorted(e.attrib.items()))) for e in rest)
    spans = sorted((c.get("InvTypeCode"), c.get("Start"), c.get("End"), value(m))
                   for m in ET.fromstring(body).iter(f"{Q}{name}") for c in [m.find(f"{Q}StatusApplicationControl")])
    for (room_a, _, end_a, value_a), (room_b, start_b, _, value_b) in itertools.pairwise(spans):
        touching = dt.date.fromisoformat(end_a) + dt.timedelta(days=1) == dt.date.fromisoformat(start_b)
        assert not (room_a == room_b and touching and value_a == value_b), f"{room_a} {end_a}/{start_b} not merged"
