"""Logs over google-cloud-logging: entries matching a filter, as time, severity, message."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

from ..interfaces import LogLine
from .google_errors import google_errors

__all__ = ["CloudLogs", "line_of"]

PAGE_MAX = 1000


def line_of(entry: Any) -> LogLine:
    """A text, JSON (our structured lines) or request entry as one LogLine."""
    payload = entry.payload
    request = entry.http_request or {}
    if isinstance(payload, dict):
        message = str(payload.get("message") or json.dumps(payload, sort_keys=True))
    elif payload is None and request:
        message = " ".join(
            str(request.get(key, "")) for key in ("requestMethod", "requestUrl", "status")
        )
    else:
        message = "" if payload is None else str(payload)
    moment = entry.timestamp or datetime.now(UTC)
    return LogLine(timestamp=moment, severity=entry.severity or "DEFAULT", message=message)


class CloudLogs:
    def __init__(self, project: str) -> None:
        self.project = project

    def read(self, filter: str, *, limit: int) -> list[LogLine]:
        from google.cloud import logging as cloud_logging

        with google_errors(self.project, on="Cloud Logging"):
            client = cloud_logging.Client(project=self.project)  # type: ignore[no-untyped-call]
            entries = client.list_entries(  # type: ignore[no-untyped-call]
                resource_names=[f"projects/{self.project}"],
                filter_=filter,
                order_by=cloud_logging.DESCENDING,
                page_size=min(limit, PAGE_MAX),
            )
            newest = list(itertools.islice(entries, limit))
        return [line_of(entry) for entry in reversed(newest)]
