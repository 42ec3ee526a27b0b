"""What the routes share: app keys, the partner's state, and JSON refusals with their HTTP status."""

from __future__ import annotations

import logging

from aiohttp import web

from ..common.http import answer, json_error_middleware
from .catalogue import Catalogue
from .config import Config
from .desk import AriDesk
from .idempotency import AppliedKeys
from .inventory import Inventory
from .ledger import Ledger
from .model import PartnerError
from .notifier import Notifier
from .ratelimit import RateLimiter
from .reservations import Reservations

log = logging.getLogger("sandbox.partner")

STATUS = {
    "INVALID_REQUEST": 400, "UNKNOWN_PROPERTY": 404, "UNKNOWN_ROOM": 404, "UNKNOWN_RESERVATION": 404,
    "RESERVATION_EXISTS": 409, "CANCELLED": 409,
}


class PartnerState:
    """Everything the partner keeps, in memory; `reset` forgets it all (faults stay as set)."""

    def __init__(self, config: Config) -> None:
        self.inventory = Inventory(config.keep_history)
        self.catalogue = Catalogue(config.properties)
        self.keys = AppliedKeys()
        self.limiter = RateLimiter(config.requests_per_minute, config.clock)
        self.ledger = Ledger()
        self.desk = AriDesk(self.inventory, self.keys, self.limiter, self.catalogue)
        self.reservations = Reservations(self.inventory, self.catalogue)

    def reset(self) -> None:
        self.inventory.clear()
        self.keys.clear()
        self.limiter.clear()
        self.ledger.clear()
        self.reservations.clear()


CONFIG = web.AppKey("config", Config)
STATE = web.AppKey("state", PartnerState)
NOTIFIER = web.AppKey("notifier", Notifier)


def error_answer(error: PartnerError) -> web.Response:
    return answer(error.to_json(), STATUS.get(error.code, 500))


json_errors = json_error_middleware(PartnerError, error_answer, log)
