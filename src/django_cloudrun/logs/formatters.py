"""Log lines: Cloud Logging's structured JSON in production, readable text locally.

Both formatters scrub secrets themselves (see RedactSecretsFilter), so no handler
configuration can let a secret through.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .. import contract
from .httprequest import http_request_of
from .redact import RedactSecretsFilter
from .trace import TraceContext, current_trace_context

__all__ = ["CloudLoggingFormatter", "TextFormatter"]

# https://cloud.google.com/error-reporting/docs/formatting-error-messages
REPORTED_ERROR_EVENT = (
    "type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent"
)
_SEVERITIES = ((50, "CRITICAL"), (40, "ERROR"), (30, "WARNING"), (20, "INFO"), (10, "DEBUG"))


def _severity(levelno: int) -> str:
    return next((name for floor, name in _SEVERITIES if levelno >= floor), "DEFAULT")


def _message_with_traceback(record: logging.LogRecord) -> str:
    """The message, then the traceback and stack, as Error Reporting wants them in ``message``."""
    parts = [record.getMessage(), record.exc_text or "", record.stack_info or ""]
    return "\n".join(part for part in parts if part)


class CloudLoggingFormatter(logging.Formatter):
    """One JSON object per line in Cloud Logging's structured format.

    https://cloud.google.com/logging/docs/structured-logging. Fields given with
    ``extra={"json_fields": {...}}`` are added; the standard fields win over them. An
    ``http_request`` dict (or the Django request of a ``django.request`` record) becomes
    ``httpRequest``; a ``trace_context`` (TraceContext) overrides the current request's trace.
    """

    def __init__(
        self,
        project: str | None = None,
        service: str | None = None,
        version: str | None = None,
        redact: RedactSecretsFilter | None = None,
    ) -> None:
        super().__init__()
        self.project = project or os.environ.get(contract.GOOGLE_CLOUD_PROJECT.name, "")
        self.service = service or os.environ.get(contract.K_SERVICE.name, "")
        self.version = version or os.environ.get(contract.K_REVISION.name, "")
        self.redactor = redact or RedactSecretsFilter()

    def format(self, record: logging.LogRecord) -> str:
        self.redactor.filter(record)
        entry: dict[str, Any] = {}
        extra = getattr(record, "json_fields", None)
        if isinstance(extra, Mapping):
            entry.update(extra)
        entry.update(
            severity=_severity(record.levelno),
            message=_message_with_traceback(record),
            time=datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="microseconds")
            .replace("+00:00", "Z"),
            logger=record.name,
        )
        entry["logging.googleapis.com/sourceLocation"] = {
            "file": record.pathname,
            "line": record.lineno,
            "function": record.funcName,
        }
        entry.update(self._trace_fields(record))
        http_request = http_request_of(record)
        if http_request:
            entry["httpRequest"] = http_request
        if record.exc_text:
            entry["@type"] = REPORTED_ERROR_EVENT
            if self.service:
                context = {"service": self.service}
                if self.version:
                    context["version"] = self.version
                entry["serviceContext"] = context
        return json.dumps(self.redactor.scrub(entry), default=self._text)

    def _trace_fields(self, record: logging.LogRecord) -> dict[str, Any]:
        trace = getattr(record, "trace_context", None)
        if not isinstance(trace, TraceContext):
            trace = current_trace_context()
        # Without the project the trace cannot be named, and a bare id links to nothing.
        if trace is None or not self.project:
            return {}
        return {
            "logging.googleapis.com/trace": f"projects/{self.project}/traces/{trace.trace_id}",
            "logging.googleapis.com/spanId": trace.span_id,
            "logging.googleapis.com/trace_sampled": trace.sampled,
        }

    def _text(self, value: Any) -> str:
        """What json.dumps writes for a value it cannot serialise."""
        try:
            text = str(value)
        except Exception:
            text = f"<unprintable {type(value).__name__}>"
        return self.redactor.redact(text)


class TextFormatter(logging.Formatter):
    """Readable lines for a terminal: ``2026-11-25 12:00:00 INFO app.views: message``."""

    def __init__(self, redact: RedactSecretsFilter | None = None) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
        self.redactor = redact or RedactSecretsFilter()

    def format(self, record: logging.LogRecord) -> str:
        self.redactor.filter(record)
        return self.redactor.redact(super().format(record))
