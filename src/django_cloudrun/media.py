"""Serves media files from MEDIA_ROOT when media live on a GCS FUSE mount.

Django serves no media in production on its own. With media.mode = fuse the bucket is a
directory in the container, so the service answers MEDIA_URL itself. Uploaded files are
user content: each response is sandboxed so an uploaded HTML or SVG file cannot run script
in the site's origin.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.static import serve

__all__ = ["MediaFilesMiddleware"]


class MediaFilesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        url = urlsplit(settings.MEDIA_URL or "")
        # Django allows a relative MEDIA_URL ("media/"): it is a path on this site too.
        self.prefix = "/" + url.path.lstrip("/")
        self.root = settings.MEDIA_ROOT
        if url.scheme or url.netloc or self.prefix == "/" or not self.root:
            raise MiddlewareNotUsed("MEDIA_URL is not a path on this site or MEDIA_ROOT is unset")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(self.prefix):
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        response = serve(request, request.path_info[len(self.prefix) :], document_root=self.root)
        response["Content-Security-Policy"] = "sandbox"
        response["X-Content-Type-Options"] = "nosniff"
        return response
