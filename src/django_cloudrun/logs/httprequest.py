"""The ``httpRequest`` object of a Cloud Logging entry, from a WSGI environ or a log record."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import quote

__all__ = ["http_request_from_environ", "http_request_of"]

_SIZES = ("requestSize", "responseSize", "cacheFillBytes")


def http_request_from_environ(
    environ: Mapping[str, Any],
    *,
    status: int | None = None,
    response_size: int | None = None,
    latency: float | timedelta | None = None,
) -> dict[str, Any]:
    """An httpRequest dict from a WSGI environ (Django's ``request.META`` is one).

    Behind Cloud Run's front end REMOTE_ADDR is the proxy, so remoteIp is the first
    X-Forwarded-For address: the client as the client reported it, fit for logs, not for trust.
    """
    forwarded = str(environ.get("HTTP_X_FORWARDED_FOR", "")).split(",")[0].strip()
    return _normalise(
        {
            "requestMethod": environ.get("REQUEST_METHOD"),
            "requestUrl": _url(environ),
            "status": status,
            "responseSize": response_size,
            "userAgent": environ.get("HTTP_USER_AGENT"),
            "remoteIp": forwarded or environ.get("REMOTE_ADDR"),
            "referer": environ.get("HTTP_REFERER"),
            "latency": latency,
            "protocol": environ.get("SERVER_PROTOCOL"),
        }
    )


def http_request_of(record: logging.LogRecord) -> dict[str, Any] | None:
    """The record's ``http_request`` dict, else one built from the Django request it carries
    (``django.request`` records have ``request`` and ``status_code``)."""
    given = getattr(record, "http_request", None)
    if isinstance(given, Mapping):
        return _normalise(given) or None
    meta = getattr(getattr(record, "request", None), "META", None)
    if isinstance(meta, Mapping):
        return http_request_from_environ(meta, status=getattr(record, "status_code", None))
    return None


def _url(environ: Mapping[str, Any]) -> str:
    scheme = environ.get("HTTP_X_FORWARDED_PROTO") or environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    # gunicorn keeps the request target as sent; otherwise rebuild it. WSGI strings carry
    # bytes as latin-1, hence the round trip before quoting.
    script_and_path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    path = environ.get("RAW_URI") or quote(
        script_and_path.encode("latin-1", "replace"), safe="/;:@&=+$,!~*'()%"
    )
    query = environ.get("QUERY_STRING", "")
    if query and "?" not in path:
        path = f"{path}?{query}"
    return f"{scheme}://{host}{path}" if host else path


def _normalise(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Drop empty fields and give the rest the JSON types Cloud Logging expects."""
    result: dict[str, Any] = {}
    for key, value in fields.items():
        if value is None or value == "":
            continue
        if key == "latency":
            value = _coerce(_duration, value)
        elif key == "status":
            value = _coerce(int, value)
        elif key in _SIZES:
            value = _coerce(lambda size: str(int(size)), value)  # int64 is a string in JSON
        result[key] = value
    return result


def _duration(value: Any) -> str:
    if isinstance(value, str):
        return value
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return f"{seconds:.9f}".rstrip("0").rstrip(".") + "s"


def _coerce(convert: Callable[[Any], Any], value: Any) -> Any:
    try:
        return convert(value)
    except (TypeError, ValueError):
        return value
