"""One server interceptor for every RPC: request id, access log, and errors → google.rpc.Status."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from grpc import aio

from servers.runtime import metrics
from servers.runtime.credentials import Credentials
from servers.runtime.errors import ApiError
from servers.runtime.logs import request_id_var
from servers.runtime.status import internal_error, to_grpc_status

log = logging.getLogger("hotelagg.rpc")

REQUEST_ID_HEADER = "x-request-id"
_MAX_REQUEST_ID = 128


def _request_id(details: grpc.HandlerCallDetails) -> str:
    for key, value in details.invocation_metadata or ():
        if key == REQUEST_ID_HEADER and isinstance(value, str) and 0 < len(value) <= _MAX_REQUEST_ID:
            return value
    return uuid.uuid4().hex


def _domain(method: str) -> str:
    # "/hotelagg.inventory.v1.InventoryService/GetHotel" → "hotelagg.inventory.v1"
    service = method.lstrip("/").split("/", 1)[0]
    return service.rsplit(".", 1)[0]


class _Call:
    """What the interceptor does around one call, shared by the unary and streaming shapes."""

    def __init__(self, method: str, request_id: str) -> None:
        self.method = method
        self.request_id = request_id
        self.started = time.perf_counter()
        self.code = "OK"

    def start(self, context: aio.ServicerContext) -> None:
        # In the trailers, which go out with the status anyway: a separate initial-metadata
        # send costs a round through the transport on every call.
        context.set_trailing_metadata(((REQUEST_ID_HEADER, self.request_id),))

    async def fail(self, error: Exception, context: aio.ServicerContext) -> None:
        if not isinstance(error, ApiError):
            log.exception("unexpected error in %s", self.method)
            error = internal_error()
        elif error.code.value == "INTERNAL":
            log.error("internal error in %s: %s", self.method, error.message)
        self.code = error.code.value
        await context.abort_with_status(
            to_grpc_status(error, _domain(self.method), ((REQUEST_ID_HEADER, self.request_id),)))

    def finish(self) -> None:
        elapsed = time.perf_counter() - self.started
        metrics.observe_rpc(self.method, self.code, elapsed)
        log.info(
            "rpc",
            extra={"method": self.method, "code": self.code, "duration_ms": round(elapsed * 1000, 2)},
        )


class ApiInterceptor(aio.ServerInterceptor):
    def __init__(self, credentials: Credentials | None = None, guarded: dict[str, str] | None = None) -> None:
        # Full method name ("/pkg.Service/Method") → what its caller needs (runtime/credentials.py).
        self._credentials = credentials
        self._guarded = guarded or {}

    def _admit(self, details: grpc.HandlerCallDetails) -> None:
        rule = self._guarded.get(details.method)
        if rule is not None and self._credentials is not None:
            self._credentials.check(rule, details.invocation_metadata)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(details)
        if handler is None or not details.method.startswith("/hotelagg."):
            return handler
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(handler.unary_unary, details),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                # The stubs type a handler's behaviour as the sync server's (an Iterator); on grpc.aio's
                # server, where this interceptor runs, it is an async generator.
                self._server_stream(handler.unary_stream, details),  # type: ignore[arg-type]
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler

    def _unary(self, behavior: Callable[..., Awaitable[Any]], details: grpc.HandlerCallDetails):
        async def unary(request: Any, context: aio.ServicerContext) -> Any:
            call = _Call(details.method, _request_id(details))
            token = request_id_var.set(call.request_id)
            try:
                call.start(context)
                self._admit(details)
                return await behavior(request, context)
            except aio.AbortError:
                call.code = "ABORTED_BY_HANDLER"
                raise
            except Exception as error:  # noqa: BLE001 - every error becomes a Status
                await call.fail(error, context)
            finally:
                call.finish()
                request_id_var.reset(token)

        return unary

    def _server_stream(self, behavior: Callable[..., AsyncIterator[Any]], details: grpc.HandlerCallDetails):
        async def stream(request: Any, context: aio.ServicerContext) -> AsyncIterator[Any]:
            call = _Call(details.method, _request_id(details))
            token = request_id_var.set(call.request_id)
            try:
                call.start(context)
                self._admit(details)
                async for response in behavior(request, context):
                    yield response
            except aio.AbortError:
                call.code = "ABORTED_BY_HANDLER"
                raise
            except Exception as error:  # noqa: BLE001
                await call.fail(error, context)
            finally:
                call.finish()
                request_id_var.reset(token)

        return stream
