"""A TCP relay on the wire between the booking server and InventoryService, that a test can close one
way: the booking server's calls to our own inventory then stall like the sandboxes' routes do.

It knows nothing of gRPC: once closed, whatever bytes come that way are kept, not passed on. Closed for
`requests`, the booking server's call waits before the inventory ever sees it; closed for `answers`,
the inventory does the work and its answer waits. When the booking side of a connection goes away (the
server was killed), the requests kept are dropped (`lost`: the call never reached the inventory) or
delivered after all, followed by the end of the connection (`late`: the inventory reads a call whose
caller is gone, and may or may not do it). Opened again, it passes what comes next; what it kept stays
kept, so it is opened only once the connection it cut short is dead (the restarted server makes its own).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

REQUESTS, ANSWERS = "requests", "answers"
LOST, LATE = "lost", "late"


@dataclass
class _Closed:
    way: str
    kept_requests: str  # what becomes of requests kept when the caller goes: LOST or LATE


@dataclass
class WireGate:
    upstream_port: int
    port: int = 0  # where the booking server reaches the inventory through the gate, once started
    closed: _Closed | None = None
    # What the gate has kept each way since it was closed: a test looks in it for the call it waits on
    # (protobuf strings travel as they are, e.g. the call's idempotency key), not just for any bytes,
    # since HTTP/2 sends frames of its own (window updates, pings) either way.
    kept: dict[str, bytearray] = field(default_factory=lambda: {REQUESTS: bytearray(), ANSWERS: bytearray()})
    _server: asyncio.base_events.Server | None = None
    _pumps: set[asyncio.Task] = field(default_factory=set)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._server.close()
        for pump in list(self._pumps):
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        await self._server.wait_closed()

    def close(self, way: str, kept_requests: str = LOST) -> None:
        self.closed = _Closed(way, kept_requests)
        self.kept = {REQUESTS: bytearray(), ANSWERS: bytearray()}

    def open(self) -> None:
        self.closed = None

    async def _relay(self, caller_reader: asyncio.StreamReader, caller_writer: asyncio.StreamWriter) -> None:
        try:
            inventory_reader, inventory_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            caller_writer.close()  # the inventory is not listening (yet): the caller connects again
            return
        pumps = [asyncio.ensure_future(self._pump(caller_reader, inventory_writer, REQUESTS)),
                 asyncio.ensure_future(self._pump(inventory_reader, caller_writer, ANSWERS))]
        self._pumps.update(pumps)
        for pump in pumps:
            pump.add_done_callback(self._pumps.discard)
        await asyncio.gather(*pumps, return_exceptions=True)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, way: str) -> None:
        held: list[bytes] = []
        fate = LOST
        try:
            while chunk := await _read(reader):
                if self.closed is not None and self.closed.way == way:
                    held.append(chunk)
                    fate = self.closed.kept_requests
                    self.kept[way] += chunk
                    continue
                writer.write(chunk)
                await writer.drain()
            if way == REQUESTS and fate == LATE and held:
                writer.write(b"".join(held))  # the call arrives after its caller died
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()


async def _read(reader: asyncio.StreamReader) -> bytes:
    try:
        return await reader.read(65536)
    except (ConnectionError, OSError):
        return b""
