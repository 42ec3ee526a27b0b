"""ARI to a json_rest partner (sandbox/partner/PROTOCOL.md): one POST per update.

`200 {"applied": false}` is a replay of a key the partner already applied: delivered all the same,
reported as a REPLAY warning like the OTA partner's, so the gateway counts replays one way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from clients.breaker import AsyncCircuitBreaker
from clients.http_json import json_object, segment
from clients.partners.base import AriNight, AriUpdate, PartnerClient, PartnerRejected, Receipt, RoomAri
from clients.partners.transport import PartnerHttp

UNREADABLE = "UNREADABLE_ANSWER"


class JsonRestPartnerClient(PartnerClient):
    def __init__(self, endpoint_url: str, breaker: AsyncCircuitBreaker, timeout: float = 5.0) -> None:
        self.http = PartnerHttp(endpoint_url, breaker, timeout, "json_rest partner")

    async def send_ari(self, update: AriUpdate) -> Receipt:
        if update.night_count == 0:
            return Receipt(requests=0)  # nothing to say; a request would only spend rate quota
        path = f"/v1/properties/{segment(update.property_code)}/ari"
        headers = {"Content-Type": "application/json", "Idempotency-Key": update.idempotency_key}
        return await self.http.post(path, ari_body(update), headers, read_ari_answer)

    async def aclose(self) -> None:
        await self.http.aclose()


def ari_body(update: AriUpdate) -> bytes:
    return json.dumps({"rooms": [_room(room) for room in update.rooms]}, separators=(",", ":")).encode()


def _room(room: RoomAri) -> dict[str, Any]:
    return {"room_code": room.room_code, "currency": room.currency, "nights": [_night(n) for n in room.nights]}


def _night(night: AriNight) -> dict[str, Any]:
    return {
        "date": night.night.isoformat(),
        "available": night.available,
        "price_minor": night.price_minor,
        "min_stay": night.min_stay,
        "max_stay": night.max_stay,
        "closed_to_arrival": night.closed_to_arrival,
        "closed_to_departure": night.closed_to_departure,
        "stop_sell": night.stop_sell,
    }


def read_ari_answer(status: int, raw: bytes) -> Receipt:
    body = json_object(raw)
    if status >= 400:
        raise _refusal(status, body)
    applied = body.get("applied")
    if not isinstance(applied, bool):
        # Per the protocol an answer we cannot read is permanent: resending gets the same garbage.
        raise PartnerRejected(UNREADABLE, f"answer {status} without a boolean 'applied': {raw[:200]!r}", status)
    return Receipt(requests=1, warnings=() if applied else ("REPLAY: already applied under this key",))


def _refusal(status: int, body: Mapping[str, Any]) -> PartnerRejected:
    error = body.get("error")
    error = error if isinstance(error, Mapping) else {}
    code = error.get("code")
    message = error.get("message")
    return PartnerRejected(
        code if isinstance(code, str) and code else f"HTTP_{status}",
        message if isinstance(message, str) else "",
        status,
    )
