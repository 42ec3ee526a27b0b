"""OTA_HotelResNotifRQ in: partners that speak OTA XML push their bookings to the webhook receiver.

Same rules as NotifyReservation over gRPC (it is the same call inside); the answer is an
OTA_HotelResNotifRS with the EchoToken echoed, and the HTTP status tells transient from final.
"""

from __future__ import annotations

import logging
import math

from aiohttp import web
from hotelagg.common.v1 import common_pb2
from hotelagg.partner.v1 import partner_pb2 as pb

from clients.partners import OtaFormatError, ResNotif, parse_res_notif, res_notif_error, res_notif_success
from servers.partner.auth import Gate
from servers.partner.reasons import PartnerReason
from servers.partner.reservations import Reservations
from servers.runtime.bodies import DEFAULT_READ_TIMEOUT_SECONDS, BodyRefused, read_body
from servers.runtime.errors import ApiError, Code, not_found
from servers.runtime.reasons import ApiReason

log = logging.getLogger("hotelagg.partner.ota")

ROUTE = "/partners/{partner_id}/ota/OTA_HotelResNotifRQ"
MAX_BODY = 256 * 1024
BODY_READ_TIMEOUT_SECONDS = DEFAULT_READ_TIMEOUT_SECONDS
_HTTP_STATUS = {
    Code.INVALID_ARGUMENT: 400, Code.UNAUTHENTICATED: 401, Code.PERMISSION_DENIED: 403, Code.NOT_FOUND: 404,
    Code.ALREADY_EXISTS: 409, Code.FAILED_PRECONDITION: 409, Code.ABORTED: 409, Code.RESOURCE_EXHAUSTED: 429,
    Code.UNAVAILABLE: 503,
}
_STATUS = {"BOOKED": pb.RESERVATION_STATUS_BOOKED, "MODIFIED": pb.RESERVATION_STATUS_MODIFIED,
           "CANCELLED": pb.RESERVATION_STATUS_CANCELLED}


def _date(value) -> common_pb2.Date:
    return common_pb2.Date(year=value.year, month=value.month, day=value.day)


def notify_request(notif: ResNotif) -> pb.NotifyReservationRequest:
    return pb.NotifyReservationRequest(
        request_id=notif.echo_token or f"{notif.reservation_id}:{notif.revision}",
        reservation=pb.PartnerReservation(
            partner_reservation_id=notif.reservation_id, revision=notif.revision, status=_STATUS[notif.status],
            partner_property_code=notif.property_code, partner_room_code=notif.room_code,
            check_in=_date(notif.check_in), check_out=_date(notif.check_out), rooms=notif.rooms,
            guests=notif.guests, guest_name=notif.guest_name,
            total_amount=common_pb2.Money(currency_code=notif.currency, amount_minor=notif.total_minor)))


def _answer(status: int, body: bytes, retry_after: float | None = None) -> web.Response:
    headers = {"Retry-After": str(max(1, math.ceil(retry_after)))} if retry_after else None
    return web.Response(status=status, body=body, content_type="application/xml", headers=headers)


def _too_large() -> web.Response:
    return _answer(413, res_notif_error(None, PartnerReason.BODY_TOO_LARGE,
                                        f"a reservation message is at most {MAX_BODY} bytes"))


def add_partner_routes(app: web.Application, gate: Gate, reservations: Reservations) -> None:
    async def receive(request: web.Request) -> web.Response:
        echo: str | None = None
        try:
            partner = await gate.partner_for_key(request.headers.get("X-Api-Key", ""),
                                                 "send the partner's API key in the X-Api-Key header")
            if partner.id != request.match_info["partner_id"]:
                raise not_found(PartnerReason.PARTNER_NOT_FOUND, f"partner {request.match_info['partner_id']}")
            body = await read_body(request, MAX_BODY, BODY_READ_TIMEOUT_SECONDS)
            notif = parse_res_notif(body)
            echo = notif.echo_token
            answer = await reservations.notify(partner, notify_request(notif))
            return _answer(200, res_notif_success(echo, answer.booking_id, answer.over_capacity))
        except BodyRefused as refused:
            if refused.status == 413:
                return _too_large()
            return _answer(refused.status, res_notif_error(None, PartnerReason.BODY_TOO_SLOW, refused.message))
        except OtaFormatError as error:
            return _answer(400, res_notif_error(error.echo_token, ApiReason.INVALID_FIELD, str(error)))
        except ApiError as error:
            return _answer(_HTTP_STATUS.get(error.code, 500), res_notif_error(echo, error.reason, error.message),
                           error.retry_after_seconds)
        except Exception:  # noqa: BLE001 - never leak internals; the log has the detail
            log.exception("OTA reservation failed")
            return _answer(500, res_notif_error(echo, ApiReason.INTERNAL, "internal error"))

    app.router.add_post(ROUTE, receive)
