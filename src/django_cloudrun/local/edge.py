"""The load balancer's URL map on this machine, for static.mode gcs-cdn.

On Google Cloud the URL map sends STATIC_PATH* to a backend bucket (Cloud CDN in front of
the static bucket) and everything else to the service. Locally the edge holds `up`'s port:
GET and HEAD under STATIC_PATH are answered from the static bucket on the GCS emulator, with
the object's own Cache-Control (set by static_storage.cache_control when collectstatic wrote
it) and its ETag, so a revalidation gets 304 as from the CDN; every other request goes to the
web service's listening socket unchanged (Host included). Each answer closes its connection
(HTTP/1.0): simple, and browsers open connections as they need.

Not emulated: TLS and the managed certificates, the HTTP-to-HTTPS redirect, Cloud Armor,
and the CDN's own cache (every static request reads the bucket).
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, urlsplit

from ..contract import STATIC_PATH

__all__ = ["Edge", "StaticBucket"]

# Headers of one hop only (RFC 9110 section 7.6.1): never forwarded.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
     "upgrade"}
)  # fmt: skip
# Cloud Storage's Cache-Control for a public object that sets none
# (https://cloud.google.com/storage/docs/metadata#cache-control).
BUCKET_DEFAULT_CACHE = "public, max-age=3600"
CHUNK = 64 * 1024


class StaticBucket:
    """Objects of one bucket on the GCS emulator, read through its JSON API."""

    def __init__(self, emulator: str, bucket: str) -> None:
        self.base = f"{emulator.rstrip('/')}/storage/v1/b/{quote(bucket, safe='')}/o/"

    def metadata(self, name: str) -> dict[str, Any] | None:
        """The object's metadata, None when there is no such object."""
        body = self._get(name, "")
        return None if body is None else dict(json.loads(body))

    def content(self, name: str) -> bytes:
        return self._get(name, "?alt=media") or b""

    def _get(self, name: str, query: str) -> bytes | None:
        # https://cloud.google.com/storage/docs/json_api/v1/objects/get
        url = self.base + quote(name, safe="") + query
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise


def _etag(info: dict[str, Any]) -> str:
    """Cloud Storage's ETag of an object that is not composite: its MD5 in hex, quoted."""
    return f'"{base64.b64decode(info.get("md5Hash", "")).hex()}"'


def _object_name(path: str) -> str:
    """A backend bucket looks the request's whole path up as the object's name."""
    return urlsplit(path).path.lstrip("/")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server: _EdgeServer

    def log_message(self, format: str, *args: Any) -> None:  # the web service logs requests
        pass

    def do_GET(self) -> None:
        self._route()

    def do_HEAD(self) -> None:
        self._route()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _route(self) -> None:
        static = urlsplit(self.path).path.startswith(STATIC_PATH)
        if static and self.command in ("GET", "HEAD"):
            self._static()
        else:
            self._forward()

    def _static(self) -> None:
        bucket = self.server.bucket
        name = _object_name(self.path)
        info = bucket.metadata(name)
        if info is None:
            self._answer(404, {"Content-Type": "text/plain"}, b"Not Found\n")
            return
        etag = _etag(info)
        headers = {
            "Content-Type": info.get("contentType") or "application/octet-stream",
            "Cache-Control": info.get("cacheControl") or BUCKET_DEFAULT_CACHE,
            "ETag": etag,
        }
        if self.headers.get("If-None-Match") == etag:
            self._answer(304, headers, b"")
            return
        self._answer(200, headers, bucket.content(name))

    def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status != 304:
            self.wfile.write(body)

    def _forward(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._answer(411, {"Content-Type": "text/plain"}, b"Length Required\n")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.web_port, timeout=None)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
        except OSError:
            upstream.close()
            self._answer(502, {"Content-Type": "text/plain"}, b"Bad Gateway\n")
            return
        try:
            self.send_response_only(response.status, response.reason)
            for key, value in response.getheaders():
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value)
            self.end_headers()
            while chunk := response.read(CHUNK):
                self.wfile.write(chunk)
        except OSError:
            self.close_connection = True  # the client went away
        finally:
            upstream.close()


class _EdgeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sock: socket.socket, web_port: int, bucket: StaticBucket) -> None:
        super().__init__(sock.getsockname()[:2], _Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.web_port, self.bucket = web_port, bucket


class Edge:
    """Serves `sock` (`up`'s port) in a thread: static from `bucket`, the rest from the web."""

    def __init__(self, sock: socket.socket, web_port: int, bucket: StaticBucket) -> None:
        self.server = _EdgeServer(sock, web_port, bucket)
        self.thread = threading.Thread(target=self.server.serve_forever, name="edge", daemon=True)

    def start(self) -> Edge:
        self.thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
