"""The probes only read: GET and HEAD answer, every other method gets 405 and an Allow."""

from __future__ import annotations

import pytest

from faults.production_server import ask

pytestmark = [pytest.mark.slow, pytest.mark.faults]

PROBES = ["/health/", "/health", "/health/live", "/health/live/"]
REFUSED = ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "FOO"]
# Probes answer before host validation: Cloud Run probes the container by its address.
PROBE_HEADERS = {"Host": "10.0.0.7:8080"}


@pytest.mark.parametrize("path", PROBES)
def test_get_and_head_answer(site, path):
    get = ask(site.server, "GET", path, PROBE_HEADERS)
    assert (get.status, get.body) == (200, b'{"status": "ok"}')
    head = ask(site.server, "HEAD", path, PROBE_HEADERS)
    assert (head.status, head.body) == (200, b"")


@pytest.mark.parametrize("method", REFUSED)
@pytest.mark.parametrize("path", PROBES)
def test_every_other_method_is_refused_with_405(site, path, method):
    body = b'{"status": "down"}' if method in ("POST", "PUT", "PATCH") else None
    answer = ask(site.server, method, path, PROBE_HEADERS, body)
    assert answer.status == 405, (method, path, answer.status)
    assert answer.headers["Allow"] == "GET, HEAD"
    assert b"ok" not in answer.body
