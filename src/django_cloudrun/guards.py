"""Checks every request passes before anything reads its body or serves a file.

RequestBodyLimitMiddleware answers 413 to a body larger than CLOUDRUN_MAX_REQUEST_BODY
before reading it: a declared Content-Length is compared up front, and a chunked body is
read only up to the limit. Django spools uploads to the temporary directory, which is
memory on Cloud Run, so the limit bounds what one request can take from the instance.

NulCharacterMiddleware answers 400 to a path or query string that carries a NUL character:
PostgreSQL text holds none, so a view could only fail on it, with a 500 (a lookup such as
``filter(slug=...)`` raises when the query runs).

AllowedHostsMiddleware validates the Host header against ALLOWED_HOSTS before WhiteNoise
and media serving, which answer without ever asking Django for the host: a foreign Host
gets 400, as it does for every page.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse

__all__ = ["AllowedHostsMiddleware", "NulCharacterMiddleware", "RequestBodyLimitMiddleware"]

READ_BLOCK = 64 * 1024


class _BodyTooLarge(Exception):
    pass


def _body_too_large(limit: int) -> HttpResponse:
    return HttpResponse(
        f"Request body larger than {limit} bytes.\n",
        status=413,
        content_type="text/plain; charset=utf-8",
    )


def _declared_length(request: HttpRequest) -> int | None:
    raw = request.META.get("CONTENT_LENGTH") or ""
    try:
        return int(raw)
    except ValueError:
        return None


def _is_chunked(request: HttpRequest) -> bool:
    return "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()


def _read_bounded(
    stream: io.RawIOBase, limit: int, spool_size: int
) -> tempfile.SpooledTemporaryFile[bytes]:
    """The whole of ``stream``, or _BodyTooLarge as soon as more than ``limit`` bytes came."""
    body = tempfile.SpooledTemporaryFile(max_size=spool_size)
    size = 0
    while block := stream.read(READ_BLOCK):
        size += len(block)
        if size > limit:
            body.close()
            raise _BodyTooLarge
        body.write(block)
    body.seek(0)
    return body


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.limit = int(settings.CLOUDRUN_MAX_REQUEST_BODY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = _declared_length(request)
        if length is not None and length > self.limit:
            return _body_too_large(self.limit)
        if length is None and _is_chunked(request):
            try:
                self._take_chunked_body(request)
            except _BodyTooLarge:
                return _body_too_large(self.limit)
        return self.get_response(request)

    def _take_chunked_body(self, request: HttpRequest) -> None:
        """Django reads only as many bytes as Content-Length declares, so a chunked body
        would be dropped: read it (within the limit) and hand it over with its length. The
        spool is closed, and its file removed, when the request is freed."""
        body = _read_bounded(
            request.META["wsgi.input"], self.limit, settings.FILE_UPLOAD_MAX_MEMORY_SIZE
        )
        length = body.seek(0, io.SEEK_END)
        body.seek(0)
        request.META["CONTENT_LENGTH"] = str(length)
        request._stream = LimitedStream(body, length)
        request._read_started = False


class NulCharacterMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info or "%00" in request.META.get("QUERY_STRING", ""):
            raise BadRequest("NUL character in the path or query string")
        return self.get_response(request)


class AllowedHostsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # DisallowedHost becomes Django's 400 Bad Request, logged as for any page.
        request.get_host()
        return self.get_response(request)
