"""Logging for Cloud Run: structured JSON lines Cloud Logging and Error Reporting understand,
tied to the request's trace, with secrets scrubbed; readable text lines locally.

In settings: ``LOGGING = logging_config(json=True)`` and
``"django_cloudrun.logs.TraceContextMiddleware"`` first in MIDDLEWARE.
"""

from __future__ import annotations

from .config import logging_config
from .formatters import CloudLoggingFormatter, TextFormatter
from .httprequest import http_request_from_environ
from .redact import REDACTED, RedactSecretsFilter
from .trace import (
    TraceContext,
    TraceContextMiddleware,
    current_trace_context,
    enter_trace_context,
    leave_trace_context,
    set_span_reader,
    trace_context_from_headers,
    traceparent,
)

__all__ = [
    "logging_config",
    "CloudLoggingFormatter",
    "TextFormatter",
    "RedactSecretsFilter",
    "REDACTED",
    "TraceContext",
    "TraceContextMiddleware",
    "trace_context_from_headers",
    "current_trace_context",
    "set_span_reader",
    "enter_trace_context",
    "leave_trace_context",
    "traceparent",
    "http_request_from_environ",
]
