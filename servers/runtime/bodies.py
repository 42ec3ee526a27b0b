"""Reading an HTTP request body from an untrusted sender: bounded in size and in time.

A sender that announces a large body, or sends it a byte at a time, must not hold a connection and
its buffer for as long as it likes: the body is refused (413) past its limit, before it is read when
Content-Length says so, and given up on (408) when it does not arrive within the read timeout.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

DEFAULT_READ_TIMEOUT_SECONDS = 10.0
_CHUNK = 64 * 1024


class BodyRefused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


async def read_body(request: web.Request, limit: int, timeout: float = DEFAULT_READ_TIMEOUT_SECONDS) -> bytes:
    """The whole body, at most `limit` bytes, within `timeout` seconds; BodyRefused otherwise."""
    if (request.content_length or 0) > limit:
        raise BodyRefused(413, "body_too_large", f"at most {limit} bytes")
    try:
        async with asyncio.timeout(timeout):
            return await _read_up_to(request, limit)
    except TimeoutError:
        raise BodyRefused(408, "body_too_slow", f"the body did not arrive within {timeout:g} s") from None


async def _read_up_to(request: web.Request, limit: int) -> bytes:
    # Chunked bodies carry no length to check first: counted as they come.
    parts: list[bytes] = []
    size = 0
    while chunk := await request.content.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise BodyRefused(413, "body_too_large", f"at most {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)
