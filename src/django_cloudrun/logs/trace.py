"""The trace a request belongs to, read from its headers and kept for the log lines it emits.

When tracing is on, django_cloudrun.tracing registers a reader of the active span with
set_span_reader(), so log lines name the span they were written in and Cloud Trace shows them
under it; this module never imports OpenTelemetry itself.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

__all__ = [
    "TraceContext",
    "trace_context_from_headers",
    "current_trace_context",
    "set_span_reader",
    "enter_trace_context",
    "leave_trace_context",
    "traceparent",
    "TraceContextMiddleware",
]

# W3C Trace Context, version 00 exactly; later versions may append fields after the flags.
_TRACEPARENT = re.compile(
    r"(?P<version>[0-9a-f]{2})-(?P<trace>[0-9a-f]{32})-(?P<span>[0-9a-f]{16})"
    r"-(?P<flags>[0-9a-f]{2})(?P<rest>-.*)?"
)
# Google's legacy header: TRACE_ID/SPAN_ID;o=OPTIONS, where SPAN_ID is an unsigned decimal.
_CLOUD_TRACE = re.compile(r"(?P<trace>[0-9a-fA-F]{32})/(?P<span>[0-9]{1,20})(?:;o=(?P<o>[0-9]+))?")

_current: ContextVar[TraceContext | None] = ContextVar("django_cloudrun_trace", default=None)
_span_reader: Callable[[], TraceContext | None] | None = None


@dataclass(frozen=True)
class TraceContext:
    trace_id: str  # 32 lowercase hex digits
    span_id: str  # 16 lowercase hex digits
    sampled: bool = False


def trace_context_from_headers(headers: Mapping[str, str]) -> TraceContext | None:
    """The trace named by ``traceparent``, else by ``X-Cloud-Trace-Context``.

    A malformed header counts as absent, as the W3C specification asks.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    return _from_traceparent(lowered.get("traceparent", "")) or _from_cloud_trace(
        lowered.get("x-cloud-trace-context", "")
    )


def current_trace_context() -> TraceContext | None:
    """The active span if a span reader is set and a span is active, else the trace named by
    the headers of the request being served, if any."""
    if _span_reader is not None:
        active = _span_reader()
        if active is not None:
            return active
    return _current.get()


def set_span_reader(reader: Callable[[], TraceContext | None] | None) -> None:
    """Make current_trace_context() ask ``reader`` first (None: headers only)."""
    global _span_reader
    _span_reader = reader


def enter_trace_context(trace: TraceContext | None) -> Token[TraceContext | None]:
    """Make ``trace`` the current trace until leave_trace_context(token), for work that does
    not arrive as a request (a task carries its trace in its message)."""
    return _current.set(trace)


def leave_trace_context(token: Token[TraceContext | None]) -> None:
    _current.reset(token)


def traceparent(trace: TraceContext) -> str:
    """``trace`` as a W3C traceparent header value."""
    return f"00-{trace.trace_id}-{trace.span_id}-{'01' if trace.sampled else '00'}"


def _from_traceparent(value: str) -> TraceContext | None:
    match = _TRACEPARENT.fullmatch(value.strip())
    if not match or match["version"] == "ff" or (match["version"] == "00" and match["rest"]):
        return None
    if _zero(match["trace"]) or _zero(match["span"]):
        return None
    return TraceContext(match["trace"], match["span"], bool(int(match["flags"], 16) & 1))


def _from_cloud_trace(value: str) -> TraceContext | None:
    match = _CLOUD_TRACE.fullmatch(value.strip())
    if not match or _zero(match["trace"]):
        return None
    span = int(match["span"])
    if not 0 < span < 2**64:
        return None
    return TraceContext(match["trace"].lower(), f"{span:016x}", match["o"] == "1")


def _zero(hex_id: str) -> bool:
    return not hex_id.strip("0")


class TraceContextMiddleware:
    """Keep the request's trace context while it is served, so log lines can name the trace.

    Place it first in MIDDLEWARE. A streaming response's body is produced after the context is
    cleared, so lines logged while streaming carry no trace.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: Any) -> Any:
        if self.is_async:
            return self._acall(request)
        token = _current.set(trace_context_from_headers(request.headers))
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)

    async def _acall(self, request: Any) -> Any:
        token = _current.set(trace_context_from_headers(request.headers))
        try:
            get_response: Callable[[Any], Awaitable[Any]] = self.get_response
            return await get_response(request)
        finally:
            _current.reset(token)
