"""HTTP plumbing both sandboxes answer with: compact JSON answers, replays, and the error middleware."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from aiohttp import web

MAX_IDEMPOTENCY_KEY = 255


def dumps(data: object) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def answer(data: object, status: int = 200, headers: dict | None = None) -> web.Response:
    return raw_answer(dumps(data), status, headers)


def raw_answer(body: bytes, status: int, headers: dict | None = None) -> web.Response:
    """An answer already serialized: idempotent answers are stored as bytes and replayed as such."""
    return web.Response(status=status, body=body, content_type="application/json", headers=headers)


def replayed(status: int, body: bytes) -> web.Response:
    return raw_answer(body, status, {"Idempotent-Replayed": "true"})


def json_error_middleware(error_type: type[Exception], error_answer: Callable[[Exception], web.Response],
                          log: logging.Logger):
    """`error_type` is the sandbox's own refusal, which `error_answer` turns into its answer."""

    @web.middleware
    async def json_errors(request: web.Request, handler):
        """Every refusal, the router's 404/405 included, is a PROTOCOL.md error object."""
        try:
            return await handler(request)
        except error_type as error:
            return error_answer(error)
        except web.HTTPException as error:
            if error.status < 400:
                raise
            code = {404: "not_found", 405: "method_not_allowed"}.get(error.status, "http_error")
            return answer({"error": code, "message": error.reason}, error.status)
        except Exception:
            log.exception("unexpected error on %s %s", request.method, request.path)
            return answer({"error": "internal", "message": "unexpected error, see the sandbox log"}, 500)

    return json_errors
