"""Log lines: Cloud Logging JSON with traces, requests and errors; text locally; no secrets."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpResponse, HttpResponseServerError
from django.test import RequestFactory, override_settings
from django.utils.log import log_response

from django_cloudrun import contract
from django_cloudrun.logs import (
    REDACTED,
    CloudLoggingFormatter,
    RedactSecretsFilter,
    TextFormatter,
    TraceContext,
    TraceContextMiddleware,
    logging_config,
    trace_context_from_headers,
)
from django_cloudrun.logs.formatters import REPORTED_ERROR_EVENT

if not settings.configured:  # run without pytest-django's settings module
    settings.configure(SECRET_KEY="x" * 50, ALLOWED_HOSTS=["testserver"])

PROJECT = "my-project"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"
DB_PASSWORD = "pg-Pa55word-from-secret-manager"
SECRET_KEY = "django-secret-key-" + "k" * 40


class Lines:
    """What a captured handler wrote."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def json(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text()]

    def text(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def raw(self) -> str:
        return self.stream.getvalue()


Capture = Callable[..., Lines]


@pytest.fixture
def secrets_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(contract.DB_PASSWORD.name, DB_PASSWORD)
    monkeypatch.setenv(contract.SECRET_KEY.name, SECRET_KEY)


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    log = logging.getLogger("test_logs.app")
    level = log.level
    log.setLevel(logging.DEBUG)
    yield log
    log.setLevel(level)


@pytest.fixture
def capture(logger: logging.Logger) -> Iterator[Capture]:
    """Attach a handler with ``formatter`` (to ``logger`` by default); read what it wrote."""
    attached: list[tuple[logging.Logger, logging.Handler]] = []

    def attach(formatter: logging.Formatter, to: logging.Logger = logger) -> Lines:
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter)
        to.addHandler(handler)
        attached.append((to, handler))
        return Lines(stream)

    yield attach
    for log, handler in attached:
        log.removeHandler(handler)


def _served(logger: logging.Logger, **headers: str) -> None:
    """Serve one request through the middleware; the view logs a line."""

    def view(request: Any) -> HttpResponse:
        logger.info("inside the view")
        return HttpResponse("ok")

    request = RequestFactory().get("/items/", headers=headers)
    TraceContextMiddleware(view)(request)


# Trace context from headers


def test_traceparent_gives_trace_span_and_sampled(capture: Capture, logger: logging.Logger) -> None:
    lines = capture(CloudLoggingFormatter(project=PROJECT))
    _served(logger, traceparent=f"00-{TRACE}-{SPAN}-01")
    [entry] = lines.json()
    assert entry["logging.googleapis.com/trace"] == f"projects/{PROJECT}/traces/{TRACE}"
    assert entry["logging.googleapis.com/spanId"] == SPAN
    assert entry["logging.googleapis.com/trace_sampled"] is True


def test_cloud_trace_context_span_is_converted_from_decimal(
    capture: Capture, logger: logging.Logger
) -> None:
    lines = capture(CloudLoggingFormatter(project=PROJECT))
    _served(logger, x_cloud_trace_context=f"{TRACE.upper()}/12345678901234567890;o=1")
    [entry] = lines.json()
    assert entry["logging.googleapis.com/trace"] == f"projects/{PROJECT}/traces/{TRACE}"
    assert entry["logging.googleapis.com/spanId"] == "ab54a98ceb1f0ad2"
    assert entry["logging.googleapis.com/trace_sampled"] is True


def test_project_comes_from_google_cloud_project(
    capture: Capture, logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(contract.GOOGLE_CLOUD_PROJECT.name, "env-project")
    lines = capture(CloudLoggingFormatter())
    _served(logger, traceparent=f"00-{TRACE}-{SPAN}-00")
    [entry] = lines.json()
    assert entry["logging.googleapis.com/trace"] == f"projects/env-project/traces/{TRACE}"
    assert entry["logging.googleapis.com/trace_sampled"] is False


def test_traceparent_wins_over_cloud_trace_context() -> None:
    context = trace_context_from_headers(
        {"Traceparent": f"00-{TRACE}-{SPAN}-01", "X-Cloud-Trace-Context": f"{'1' * 32}/5;o=0"}
    )
    assert context == TraceContext(TRACE, SPAN, sampled=True)


def test_malformed_traceparent_falls_back_to_cloud_trace_context() -> None:
    context = trace_context_from_headers(
        {"traceparent": "00-nonsense", "x-cloud-trace-context": f"{TRACE}/1"}
    )
    assert context == TraceContext(TRACE, "0000000000000001", sampled=False)


@pytest.mark.parametrize(
    "headers",
    [
        {"traceparent": f"00-{'0' * 32}-{SPAN}-01"},  # all-zero trace id
        {"traceparent": f"00-{TRACE}-{'0' * 16}-01"},  # all-zero span id
        {"traceparent": f"00-{TRACE.upper()}-{SPAN}-01"},  # upper case is not allowed
        {"traceparent": f"ff-{TRACE}-{SPAN}-01"},  # forbidden version
        {"traceparent": f"00-{TRACE}-{SPAN}-01-extra"},  # version 00 has four fields
        {"traceparent": f"00-{TRACE[:-1]}-{SPAN}-01"},
        {"traceparent": f"00_{TRACE}_{SPAN}_01"},
        {"x-cloud-trace-context": f"{'0' * 32}/1;o=1"},
        {"x-cloud-trace-context": f"{TRACE}/0;o=1"},  # span 0
        {"x-cloud-trace-context": f"{TRACE}/{2**64};o=1"},  # span beyond 64 bits
        {"x-cloud-trace-context": f"{TRACE}/{SPAN};o=1"},  # span must be decimal
        {"x-cloud-trace-context": f"{TRACE[:-2]}/1;o=1"},
        {"x-cloud-trace-context": f"{TRACE};o=1"},
        {"x-cloud-trace-context": ""},
        {},
    ],
)
def test_malformed_trace_headers_are_ignored(headers: dict[str, str]) -> None:
    assert trace_context_from_headers(headers) is None


def test_request_with_malformed_header_logs_without_trace(
    capture: Capture, logger: logging.Logger
) -> None:
    lines = capture(CloudLoggingFormatter(project=PROJECT))
    _served(logger, traceparent=f"00-{'0' * 32}-{SPAN}-01")
    [entry] = lines.json()
    assert not [key for key in entry if key.startswith("logging.googleapis.com/trace")]
    assert "logging.googleapis.com/spanId" not in entry


def test_trace_context_is_cleared_after_the_response(
    capture: Capture, logger: logging.Logger
) -> None:
    lines = capture(CloudLoggingFormatter(project=PROJECT))
    _served(logger, traceparent=f"00-{TRACE}-{SPAN}-01")
    logger.info("after the request")
    inside, after = lines.json()
    assert "logging.googleapis.com/trace" in inside
    assert "logging.googleapis.com/trace" not in after


def test_async_middleware_keeps_the_trace(capture: Capture, logger: logging.Logger) -> None:
    lines = capture(CloudLoggingFormatter(project=PROJECT))

    async def view(request: Any) -> HttpResponse:
        logger.info("inside the async view")
        return HttpResponse("ok")

    request = RequestFactory().get("/", headers={"traceparent": f"00-{TRACE}-{SPAN}-01"})
    asyncio.run(TraceContextMiddleware(view)(request))
    logger.info("after")
    inside, after = lines.json()
    assert inside["logging.googleapis.com/spanId"] == SPAN
    assert "logging.googleapis.com/spanId" not in after


def test_record_trace_context_overrides_the_current_one(
    capture: Capture, logger: logging.Logger
) -> None:
    lines = capture(CloudLoggingFormatter(project=PROJECT))
    logger.info("access line", extra={"trace_context": TraceContext(TRACE, SPAN)})
    [entry] = lines.json()
    assert entry["logging.googleapis.com/spanId"] == SPAN


# The JSON entry


def test_entry_has_severity_message_time_logger_and_source(
    capture: Capture, logger: logging.Logger
) -> None:
    lines = capture(CloudLoggingFormatter())
    logger.warning("%d items left", 3)
    line = sys._getframe().f_lineno - 1
    [entry] = lines.json()
    assert entry["severity"] == "WARNING"
    assert entry["message"] == "3 items left"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", entry["time"])
    assert entry["logger"] == "test_logs.app"
    assert entry["logging.googleapis.com/sourceLocation"] == {
        "file": __file__,
        "line": line,
        "function": "test_entry_has_severity_message_time_logger_and_source",
    }
    assert "@type" not in entry and "httpRequest" not in entry


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        (logging.DEBUG, "DEBUG"),
        (logging.INFO, "INFO"),
        (logging.ERROR, "ERROR"),
        (logging.CRITICAL, "CRITICAL"),
        (25, "INFO"),
        (5, "DEFAULT"),
    ],
)
def test_severity_follows_the_level(
    capture: Capture, logger: logging.Logger, level: int, severity: str
) -> None:
    lines = capture(CloudLoggingFormatter())
    logger.setLevel(1)
    logger.log(level, "x")
    assert lines.json()[0]["severity"] == severity


def test_http_request_dict_becomes_http_request(capture: Capture, logger: logging.Logger) -> None:
    lines = capture(CloudLoggingFormatter())
    logger.info(
        "GET /items/ 200",
        extra={
            "http_request": {
                "requestMethod": "GET",
                "requestUrl": "https://example.com/items/?page=2",
                "status": "200",
                "responseSize": 512,
                "userAgent": "curl/8.5",
                "remoteIp": "203.0.113.9",
                "referer": None,
                "latency": 0.123,
                "protocol": "HTTP/1.1",
            }
        },
    )
    [entry] = lines.json()
    assert entry["httpRequest"] == {
        "requestMethod": "GET",
        "requestUrl": "https://example.com/items/?page=2",
        "status": 200,
        "responseSize": "512",
        "userAgent": "curl/8.5",
        "remoteIp": "203.0.113.9",
        "latency": "0.123s",
        "protocol": "HTTP/1.1",
    }


def test_django_request_errors_carry_http_request(capture: Capture) -> None:
    django_request = logging.getLogger("django.request")
    lines = capture(CloudLoggingFormatter(), to=django_request)
    request = RequestFactory().post(
        "/orders/?x=1",
        headers={"user-agent": "Mozilla/5.0", "x-forwarded-for": "198.51.100.7, 10.0.0.1"},
    )
    log_response(
        "Server Error: %s", request.path, response=HttpResponseServerError(), request=request
    )
    [entry] = lines.json()
    assert entry["severity"] == "ERROR"
    assert entry["httpRequest"] == {
        "requestMethod": "POST",
        "requestUrl": "http://testserver/orders/?x=1",
        "status": 500,
        "userAgent": "Mozilla/5.0",
        "remoteIp": "198.51.100.7",
        "protocol": "HTTP/1.1",
    }


def test_exception_carries_traceback_and_error_reporting_type(
    capture: Capture, logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(contract.K_SERVICE.name, "demo-django")
    monkeypatch.setenv(contract.K_REVISION.name, "demo-django-00042-abc")
    lines = capture(CloudLoggingFormatter())
    prices: dict[str, int] = {}
    try:
        prices["missing"]
    except KeyError:
        logger.exception("lookup failed")
    [entry] = lines.json()
    assert entry["severity"] == "ERROR"
    assert entry["message"].startswith("lookup failed\nTraceback (most recent call last):\n")
    assert entry["message"].rstrip().endswith("KeyError: 'missing'")
    assert entry["@type"] == REPORTED_ERROR_EVENT
    assert entry["serviceContext"] == {"service": "demo-django", "version": "demo-django-00042-abc"}


def test_exception_without_cloud_run_has_no_service_context(
    capture: Capture, logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(contract.K_SERVICE.name, raising=False)
    lines = capture(CloudLoggingFormatter())
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logger.error("failed", exc_info=True)
    [entry] = lines.json()
    assert entry["@type"] == REPORTED_ERROR_EVENT
    assert "serviceContext" not in entry


def test_json_fields_are_merged_but_cannot_replace_standard_fields(
    capture: Capture, logger: logging.Logger
) -> None:
    lines = capture(CloudLoggingFormatter())
    logger.info("order placed", extra={"json_fields": {"order_id": 7, "severity": "DEBUG"}})
    [entry] = lines.json()
    assert entry["order_id"] == 7
    assert entry["severity"] == "INFO"


def test_unserialisable_values_are_written_as_text(
    capture: Capture, logger: logging.Logger
) -> None:
    class Opaque:
        def __str__(self) -> str:
            return "opaque thing"

    lines = capture(CloudLoggingFormatter())
    logger.info("odd", extra={"json_fields": {"thing": Opaque()}})
    [entry] = lines.json()
    assert entry["thing"] == "opaque thing"


def test_a_bad_format_string_does_not_raise(capture: Capture, logger: logging.Logger) -> None:
    lines = capture(CloudLoggingFormatter())
    logger.info("%d items", "three")
    [entry] = lines.json()
    assert "items" in entry["message"]


# Secrets


@pytest.mark.parametrize("formatter", [CloudLoggingFormatter, TextFormatter])
def test_secrets_never_appear_in_message_args_exceptions_or_fields(
    secrets_env: None, capture: Capture, logger: logging.Logger, formatter: type[logging.Formatter]
) -> None:
    lines = capture(formatter())
    logger.info(f"connecting with {DB_PASSWORD}")
    logger.info("key is %s and password %r", SECRET_KEY, DB_PASSWORD)
    logger.info("fields", extra={"json_fields": {"dsn": f"postgres://u:{DB_PASSWORD}@h/db"}})
    try:
        raise ValueError(f"bad password {DB_PASSWORD}")
    except ValueError:
        logger.exception("login failed for key %s", SECRET_KEY)
    output = lines.raw()
    assert DB_PASSWORD not in output and SECRET_KEY not in output
    assert output.count(REDACTED) >= 5


def test_filter_merges_args_into_the_redacted_message(secrets_env: None) -> None:
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "pw=%s", (DB_PASSWORD,), None)
    RedactSecretsFilter().filter(record)
    assert (record.msg, record.args) == (f"pw={REDACTED}", ())


def test_django_secret_key_setting_is_redacted() -> None:
    key = "settings-only-secret-key-" + "z" * 30
    with override_settings(SECRET_KEY=key):
        redact = RedactSecretsFilter()
        assert redact.redact(f"the key is {key}") == f"the key is {REDACTED}"


def test_url_encoded_secret_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(contract.DB_PASSWORD.name, "p@ss/word#1")
    redact = RedactSecretsFilter()
    assert redact.redact("postgres://u:p%40ss%2Fword%231@h/db") == f"postgres://u:{REDACTED}@h/db"


def test_short_secret_values_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(contract.DB_PASSWORD.name, "abc")
    assert RedactSecretsFilter().redact("abc is fine") == "abc is fine"


# Text lines


def test_text_formatter_writes_readable_lines(capture: Capture, logger: logging.Logger) -> None:
    lines = capture(TextFormatter())
    logger.info("hello %s", "world")
    [line] = lines.text()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO test_logs\.app: hello world", line)


def test_text_formatter_appends_the_traceback(capture: Capture, logger: logging.Logger) -> None:
    lines = capture(TextFormatter())
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logger.exception("failed")
    first, second, *_, last = lines.text()
    assert first.endswith(" ERROR test_logs.app: failed")
    assert second == "Traceback (most recent call last):"
    assert last == "RuntimeError: boom"


# logging_config


def test_logging_config_routes_server_loggers_through_one_handler() -> None:
    config = logging_config(json=False, level="debug")
    assert config["version"] == 1 and config["disable_existing_loggers"] is False
    assert config["root"] == {"level": "DEBUG", "handlers": ["cloudrun"]}
    assert config["loggers"]["django"]["propagate"] is True
    for name in ("django.server", "gunicorn.error", "gunicorn.access"):
        assert config["loggers"][name]["handlers"] == ["cloudrun"]
    assert config["formatters"]["cloudrun"]["()"] == "django_cloudrun.logs.TextFormatter"
    assert config["handlers"]["cloudrun"]["stream"] == "ext://sys.stderr"
    assert config["handlers"]["cloudrun"]["filters"] == ["redact_secrets"]


SCRIPT = """
import logging, logging.config
from django_cloudrun.logs import logging_config
logging.config.dictConfig(logging_config(json=True))
log = logging.getLogger("app")
log.info("started with %s", "DB_PASSWORD_VALUE")
logging.getLogger("gunicorn.access").info(
    "GET /", extra={"http_request": {"requestMethod": "GET", "status": 200, "latency": 0.5}})
try:
    raise ValueError("rejected DB_PASSWORD_VALUE")
except ValueError:
    log.exception("request failed")
logging.getLogger("django.request").debug("filtered out at INFO")
"""


def test_a_real_process_writes_json_lines_to_stderr(secrets_env: None) -> None:
    env = {
        **os.environ,
        contract.GOOGLE_CLOUD_PROJECT.name: PROJECT,
        contract.K_SERVICE.name: "demo-django",
        contract.K_REVISION.name: "demo-django-00001-xyz",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT.replace("DB_PASSWORD_VALUE", DB_PASSWORD)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout == ""
    started, access, failed = [json.loads(line) for line in result.stderr.splitlines()]
    assert started["message"] == f"started with {REDACTED}"
    assert access["logger"] == "gunicorn.access"
    assert access["httpRequest"] == {"requestMethod": "GET", "status": 200, "latency": "0.5s"}
    assert failed["severity"] == "ERROR"
    assert "Traceback (most recent call last):" in failed["message"]
    assert failed["@type"] == REPORTED_ERROR_EVENT
    assert failed["serviceContext"] == {
        "service": "demo-django",
        "version": "demo-django-00001-xyz",
    }
    assert DB_PASSWORD not in result.stderr


def test_the_projects_own_secret_variables_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_live_0123456789")
    monkeypatch.setenv("CLOUDRUN_SECRET_VARIABLES", "STRIPE_API_KEY")
    scrubbed = RedactSecretsFilter().redact("charging with sk_live_0123456789")
    assert scrubbed == "charging with [redacted]"
