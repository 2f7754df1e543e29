"""The request guards: the body limit, NUL characters, host validation."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import BadRequest, DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from django_cloudrun.guards import (
    AllowedHostsMiddleware,
    NulCharacterMiddleware,
    RequestBodyLimitMiddleware,
)

LIMIT = 1000


class Unreadable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def read(self, size=-1):
        raise AssertionError("the body was read")


def echo_body(request):
    return HttpResponse(request.body)


def post(body_stream, **meta) -> WSGIRequest:
    environ = {**RequestFactory().get("/upload/").environ, "CONTENT_TYPE": "text/plain"}
    environ.update({"REQUEST_METHOD": "POST", "wsgi.input": body_stream, **meta})
    return WSGIRequest(environ)


def guarded(request):
    with override_settings(CLOUDRUN_MAX_REQUEST_BODY=LIMIT):
        return RequestBodyLimitMiddleware(echo_body)(request)


def chunked(body: bytes) -> WSGIRequest:
    # A WSGI server hands the application a chunked body already decoded, without a length.
    return post(io.BytesIO(body), HTTP_TRANSFER_ENCODING="chunked")


def test_a_declared_length_over_the_limit_gets_413_without_reading_the_body():
    response = guarded(post(Unreadable(), CONTENT_LENGTH=str(LIMIT + 1)))
    assert response.status_code == 413


def test_a_body_at_the_limit_reaches_the_view():
    response = guarded(post(io.BytesIO(b"x" * LIMIT), CONTENT_LENGTH=str(LIMIT)))
    assert (response.status_code, len(response.content)) == (200, LIMIT)


def test_a_chunked_body_within_the_limit_reaches_the_view_whole():
    response = guarded(chunked(b"y" * LIMIT))
    assert (response.status_code, response.content) == (200, b"y" * LIMIT)


def test_a_chunked_body_over_the_limit_gets_413_and_is_read_no_further():
    stream = io.BytesIO(b"z" * (LIMIT * 1000))
    assert guarded(post(stream, HTTP_TRANSFER_ENCODING="chunked")).status_code == 413
    assert stream.tell() <= LIMIT + 64 * 1024  # one block past the limit at most


@pytest.mark.parametrize("host", ["evil.example", "10.0.0.7:8080"])
def test_a_foreign_host_is_refused_before_the_next_middleware(host):
    middleware = AllowedHostsMiddleware(lambda request: pytest.fail("served"))
    with override_settings(ALLOWED_HOSTS=["www.example.com"]), pytest.raises(DisallowedHost):
        middleware(RequestFactory().get("/static/app.css", HTTP_HOST=host))


def test_an_allowed_host_passes():
    middleware = AllowedHostsMiddleware(lambda request: HttpResponse("served"))
    with override_settings(ALLOWED_HOSTS=["www.example.com"]):
        response = middleware(RequestFactory().get("/static/app.css", HTTP_HOST="www.example.com"))
    assert response.content == b"served"


@pytest.mark.parametrize("path", ["/search/?q=a%00b", "/items/a%00b/", "/search/?%00=x"])
def test_a_nul_character_in_the_path_or_query_string_is_a_bad_request(path):
    middleware = NulCharacterMiddleware(lambda request: pytest.fail("reached the view"))
    with pytest.raises(BadRequest):
        middleware(RequestFactory().get(path))


@pytest.mark.parametrize("path", ["/search/?q=%2500", "/search/?q=%C0%80", "/items/caf%C3%A9/"])
def test_text_without_a_nul_character_passes(path):
    middleware = NulCharacterMiddleware(lambda request: HttpResponse("view"))
    assert middleware(RequestFactory().get(path)).content == b"view"
