"""Serves media files from MEDIA_ROOT when media live on a GCS FUSE mount.

Django serves no media in production on its own. With media.mode = fuse the bucket is a
directory in the container, so the service answers MEDIA_URL itself. Uploaded files are
user content: each response is sandboxed so an uploaded HTML or SVG file cannot run script
in the site's origin. Only files whose real path (symbolic links resolved) lies under the
real MEDIA_ROOT are served: a link in the bucket to a file or directory elsewhere in the
container answers 404, as a missing file does.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils._os import safe_join
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
        root = os.path.realpath(self.root)
        path = _real_path_under(root, request.path_info[len(self.prefix) :])
        response = serve(request, path, document_root=root)
        response["Content-Security-Policy"] = "sandbox"
        response["X-Content-Type-Options"] = "nosniff"
        return response


def _real_path_under(root: str, path: str) -> str:
    """``path``'s real location relative to ``root`` (a real path), links resolved.

    ``..`` that climbs out of the root raises SuspiciousFileOperation (400), as Django's
    own static view does; a link that leads out of it raises Http404.
    """
    if "\x00" in path:
        raise Http404("Not a file name")
    joined = safe_join(root, posixpath.normpath(path).lstrip("/"))
    real = os.path.realpath(joined)
    if os.path.commonpath([real, root]) != root:
        raise Http404("Not under MEDIA_ROOT")
    return os.path.relpath(real, root)
