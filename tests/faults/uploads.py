"""Clients that send large bodies, and a watch on what the server spools meanwhile."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

from faults.production_server import SERVICE_HOST, raw_exchange, spooled_bytes, status_of
from served import Server

MB = 1000 * 1000
MIB = 1024 * 1024
BLOCK = b"x" * (64 * 1024)
BOUNDARY = "faultsuiteboundary"
CSRF_COOKIE = "a" * 32  # well-formed; the form lacks the matching token


def multipart_head(size: int) -> tuple[bytes, bytes, bytes]:
    """The request head, the part's opening and its closing, for a file of ``size`` bytes."""
    opening = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    closing = f"\r\n--{BOUNDARY}--\r\n".encode()
    head = (
        "POST /admin/login/ HTTP/1.1\r\n"
        f"Host: {SERVICE_HOST}\r\n"
        "X-Forwarded-Proto: https\r\n"
        # What a browser on the login page sends: with them, the CSRF check reads the form
        # in search of its token.
        f"Origin: https://{SERVICE_HOST}\r\n"
        f"Referer: https://{SERVICE_HOST}/admin/login/\r\n"
        f"Cookie: csrftoken={CSRF_COOKIE}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {len(opening) + size + len(closing)}\r\n\r\n"
    ).encode()
    return head, opening, closing


def file_body(opening: bytes, size: int, closing: bytes) -> Iterator[bytes]:
    yield opening
    for _ in range(size // len(BLOCK)):
        yield BLOCK
    yield BLOCK[: size % len(BLOCK)]
    yield closing


def upload(server: Server, size: int) -> int:
    head, opening, closing = multipart_head(size)
    return status_of(raw_exchange(server, head, file_body(opening, size, closing)))


def chunked(size: int) -> Iterator[bytes]:
    for _ in range(size // len(BLOCK)):
        yield f"{len(BLOCK):x}\r\n".encode() + BLOCK + b"\r\n"
    yield b"0\r\n\r\n"


def chunked_upload(server: Server, size: int) -> int:
    head = (
        "POST /admin/login/ HTTP/1.1\r\n"
        f"Host: {SERVICE_HOST}\r\n"
        "X-Forwarded-Proto: https\r\n"
        "Content-Type: application/octet-stream\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    return status_of(raw_exchange(server, head, chunked(size)))


class TmpWatch:
    """The most bytes the server's TMPDIR held above its size when the watch began."""

    def __init__(self, server: Server, directory: Path) -> None:
        self.measure = lambda: spooled_bytes(server, directory)
        self.baseline = self.measure()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.measure() - self.baseline)
            time.sleep(0.01)

    def __enter__(self) -> TmpWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def concurrent_uploads(server: Server, count: int, size: int) -> list[int]:
    """The statuses of ``count`` uploads of ``size`` bytes sent at once."""
    statuses: list[int] = []
    threads = [
        threading.Thread(target=lambda: statuses.append(upload(server, size))) for _ in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return sorted(statuses)
