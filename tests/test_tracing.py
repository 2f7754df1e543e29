"""Tracing: request and SQL spans, the caller's sampling decision, log lines joined to spans,
a clear error without the otel extra, nothing imported when off, one exporter per worker."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path
from opentelemetry.context import Context
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    TraceFlags,
    set_span_in_context,
)

from django_cloudrun import tracing
from django_cloudrun.logs import CloudLoggingFormatter
from django_cloudrun.settings import HEALTH_MIDDLEWARE
from pg import EXAMPLE, REPO, manage, scratch
from served import cleanup, production_env, start_server
from tracing_support import MEMORY, TRACES_DIR

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"
PROJECT = "demo-project"
view_log = logging.getLogger("test_tracing.view")


def item(request: HttpRequest, pk: int) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s", [pk])
        cursor.execute("SELECT 2")
    view_log.info("serving item %s", pk)
    return HttpResponse("ok")


urlpatterns = [path("items/<int:pk>/", item)]


def _reconnect() -> None:
    """Connections opened before psycopg was instrumented trace nothing: open new ones."""
    for conn in connections.all():
        conn.close()
        if getattr(conn, "pool", None) is not None:
            conn.close_pool()


@pytest.fixture(scope="module")
def traced(django_db_setup: None) -> Iterator[None]:
    with override_settings(
        ROOT_URLCONF=__name__,
        CLOUDRUN_TRACING_ENABLED=True,
        CLOUDRUN_TRACE_SAMPLE_RATIO="1",
        CLOUDRUN_TRACE_EXPORTER="tracing_support.memory_exporter",
    ):
        tracing.install()
        _reconnect()
        yield
        tracing.uninstall()
        _reconnect()


@pytest.fixture
def spans(traced: None, db: None) -> Iterator[Any]:
    """The spans the request exported, read after the batch processor flushed them."""
    MEMORY.clear()

    def finished() -> list[Any]:
        from opentelemetry import trace

        trace.get_tracer_provider().force_flush()
        return list(MEMORY.get_finished_spans())

    yield finished


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(CloudLoggingFormatter(project=PROJECT))
    view_log.addHandler(handler)
    view_log.setLevel(logging.INFO)
    yield stream
    view_log.removeHandler(handler)


def server_span(spans: list[Any]) -> Any:
    [span] = [s for s in spans if s.kind is SpanKind.SERVER]
    return span


def test_the_tracing_middleware_comes_right_after_the_probes(traced):
    from django.conf import settings

    assert settings.MIDDLEWARE[:2] == [
        HEALTH_MIDDLEWARE,
        "opentelemetry.instrumentation.django.middleware.otel_middleware._DjangoMiddleware",
    ]


def test_a_request_is_a_server_span_named_after_its_route(spans):
    response = Client().get("/items/7/")
    assert response.status_code == 200
    span = server_span(spans())
    assert span.name == "GET items/<int:pk>/"
    assert span.attributes["http.method"] == "GET"
    assert span.attributes["http.route"] == "items/<int:pk>/"
    assert span.attributes["http.status_code"] == 200


def test_each_sql_query_is_a_child_span_of_the_request(spans):
    Client().get("/items/7/")
    finished = spans()
    request = server_span(finished)
    queries = [s for s in finished if s.kind is SpanKind.CLIENT]
    assert [q.attributes["db.statement"] for q in queries] == ["SELECT %s", "SELECT 2"]
    assert all(q.attributes["db.system"] == "postgresql" for q in queries)
    assert all(q.parent.span_id == request.context.span_id for q in queries)
    assert all(q.context.trace_id == request.context.trace_id for q in queries)


def test_an_incoming_traceparent_is_the_parent_of_the_request_span(spans):
    Client().get("/items/1/", headers={"traceparent": f"00-{TRACE}-{SPAN}-01"})
    span = server_span(spans())
    assert f"{span.context.trace_id:032x}" == TRACE
    assert f"{span.parent.span_id:016x}" == SPAN
    assert span.parent.is_remote


def test_an_incoming_x_cloud_trace_context_is_the_parent_too(spans):
    decimal_span = int(SPAN, 16)
    Client().get("/items/1/", headers={"X-Cloud-Trace-Context": f"{TRACE}/{decimal_span};o=1"})
    span = server_span(spans())
    assert f"{span.context.trace_id:032x}" == TRACE
    assert span.parent.span_id == decimal_span


def test_a_caller_that_did_not_sample_is_followed(spans):
    Client().get("/items/1/", headers={"traceparent": f"00-{TRACE}-{SPAN}-00"})
    assert spans() == []  # not even the queries, although the ratio is 1


def test_log_lines_name_the_request_span(spans, log_lines):
    Client().get("/items/3/", headers={"traceparent": f"00-{TRACE}-{SPAN}-01"})
    span = server_span(spans())
    [entry] = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    assert entry["message"] == "serving item 3"
    assert entry["logging.googleapis.com/trace"] == f"projects/{PROJECT}/traces/{TRACE}"
    assert entry["logging.googleapis.com/spanId"] == f"{span.context.span_id:016x}"
    assert entry["logging.googleapis.com/trace_sampled"] is True


def test_log_lines_of_a_request_without_trace_headers_name_its_new_trace(spans, log_lines):
    Client().get("/items/4/")
    span = server_span(spans())
    [entry] = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    expected = f"projects/{PROJECT}/traces/{span.context.trace_id:032x}"
    assert entry["logging.googleapis.com/trace"] == expected


def test_log_lines_of_an_unsampled_request_keep_the_callers_trace(spans, log_lines):
    Client().get("/items/5/", headers={"traceparent": f"00-{TRACE}-{SPAN}-00"})
    [entry] = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    assert entry["logging.googleapis.com/trace"] == f"projects/{PROJECT}/traces/{TRACE}"
    assert entry["logging.googleapis.com/trace_sampled"] is False


# The sampler


def _sampled(sampler: Any, trace_id: int, kind: SpanKind = SpanKind.SERVER,
             parent: Context | None = None) -> bool:  # fmt: skip
    return sampler.should_sample(parent, trace_id, "GET /", kind).decision.is_sampled()


def _parent(sampled: bool) -> Context:
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    context = SpanContext(int(TRACE, 16), int(SPAN, 16), is_remote=True, trace_flags=flags)
    return set_span_in_context(NonRecordingSpan(context))


# Trace ids whose low 64 bits, which the ratio sampler compares, are spread evenly.
EVENLY = [(index * 2**64) // 1000 for index in range(1000)]


@pytest.mark.parametrize("ratio", [0.0, 0.1, 0.25, 1.0])
def test_requests_without_a_decision_are_sampled_at_the_ratio(ratio):
    sampler = tracing.sampler(ratio)
    sampled = sum(_sampled(sampler, trace_id) for trace_id in EVENLY)
    assert abs(sampled - 1000 * ratio) <= 1  # the ratio's bound falls between two ids


def test_the_callers_decision_overrides_the_ratio():
    assert _sampled(tracing.sampler(0.0), 1, parent=_parent(sampled=True))
    assert not _sampled(tracing.sampler(1.0), 1, parent=_parent(sampled=False))


def test_spans_outside_a_request_start_no_trace():
    sampler = tracing.sampler(1.0)
    assert not _sampled(sampler, 1, kind=SpanKind.CLIENT)  # a probe's or a command's query
    assert _sampled(sampler, 1, kind=SpanKind.CLIENT, parent=_parent(sampled=True))


def test_resource_names_the_service_revision_and_region():
    environ = {
        "K_SERVICE": "demo-django",
        "K_REVISION": "demo-django-00002-xyz",
        "GOOGLE_CLOUD_PROJECT": PROJECT,
        "CLOUDRUN_SERVICE_URLS": "https://demo-django-123456.europe-west1.run.app",
    }
    assert tracing.resource_attributes(environ) == {
        "service.name": "demo-django",
        "service.version": "demo-django-00002-xyz",
        "cloud.provider": "gcp",
        "cloud.platform": "gcp_cloud_run",
        "cloud.account.id": PROJECT,
        "cloud.region": "europe-west1",
    }


def test_resource_leaves_out_what_is_unknown_locally():
    environ = {"CLOUDRUN_SERVICE_URLS": "http://localhost:8080,http://127.0.0.1:8080"}
    assert tracing.resource_attributes(environ) == {"service.name": "django-cloudrun"}


# Processes: the extra missing, tracing off, gunicorn's workers


def _python(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDRUN_", "K_"))}
    return subprocess.run(
        [sys.executable, "-c", script],
        env={
            **base,
            "PYTHONPATH": os.pathsep.join([str(EXAMPLE), str(REPO / "tests")]),
            "DJANGO_SETTINGS_MODULE": "testing_settings",
            "DB_NAME": "postgres",
            **env,
        },
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_enabled_without_the_otel_extra_fails_at_startup_with_the_install_hint():
    script = """
import sys
sys.modules["opentelemetry"] = None  # as if the otel extra were not installed
import django
django.setup()
"""
    result = _python(script, CLOUDRUN_TRACING_ENABLED="1")
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("django.core.exceptions.ImproperlyConfigured: CLOUDRUN_TRACING_ENABLED")
    assert tracing.INSTALL_HINT in last


def test_a_sample_ratio_out_of_range_fails_at_startup():
    result = _python(
        "import django; django.setup()",
        CLOUDRUN_TRACING_ENABLED="1",
        CLOUDRUN_TRACE_SAMPLE_RATIO="1.5",
    )
    assert "CLOUDRUN_TRACE_SAMPLE_RATIO must be a number from 0 to 1, got '1.5'" in result.stderr


def test_an_exporter_that_cannot_be_imported_fails_at_startup():
    script = """
import django
from django.conf import settings
settings.CLOUDRUN_TRACE_EXPORTER = "nowhere.exporter"
django.setup()
"""
    result = _python(script, CLOUDRUN_TRACING_ENABLED="1")
    assert "ImproperlyConfigured: CLOUDRUN_TRACE_EXPORTER: No module named 'nowhere'" in (
        result.stderr
    )


def test_disabled_tracing_imports_no_opentelemetry():
    script = """
import json, sys
import django
from django.test.utils import setup_test_environment
django.setup()
setup_test_environment()
from django.conf import settings
from django.test import Client
client = Client()
statuses = [client.get(p).status_code for p in ("/health/", "/health/live", "/nowhere/")]
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "opentelemetry")
print(json.dumps([settings.CLOUDRUN_TRACING_ENABLED, statuses, loaded]))
"""
    result = _python(script)
    assert result.returncode == 0, result.stderr
    enabled, statuses, loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert enabled is False
    assert statuses[1:] == [200, 404]  # /health/ queried the database: 200 or 503
    assert loaded == []


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    static_root = tmp_path_factory.mktemp("static")
    with scratch() as space:
        env = space.env(STATIC_ROOT=str(static_root))
        for job in ("cloudrun_db_init", "cloudrun_migrate"):
            result = manage([job, "--verbosity", "0"], env)
            assert result.returncode == 0, result.stderr
        yield env


@pytest.mark.slow
def test_each_gunicorn_worker_exports_its_own_spans_and_the_master_none(migrated, tmp_path):
    env = production_env(
        migrated,
        DJANGO_SETTINGS_MODULE="traced_settings",
        CLOUDRUN_TRACING_ENABLED="1",
        CLOUDRUN_TRACE_SAMPLE_RATIO="1",
        **{TRACES_DIR: str(tmp_path)},
    )
    host = {"Host": "demo-django-123456.us-central1.run.app", "X-Forwarded-Proto": "https"}
    server = start_server(env)
    try:
        server.wait_until("/health/", 200)
        # Probes answer before the tracing middleware, which would validate the host.
        assert server.get("/health/", headers={"Host": "10.0.0.7:8080"}).status_code == 200
        workers = server.wait_for_processes(2)
        traces = [f"{index:032x}" for index in range(1, 11)]
        for trace_id in traces:
            headers = {**host, "traceparent": f"00-{trace_id}-{SPAN}-01"}
            assert server.get("/", headers=headers).status_code == 200
        server.stop()
        log = server.log()
    finally:
        cleanup(server)

    files = {int(p.stem): p for p in tmp_path.glob("*.jsonl")}
    assert set(files) == workers, log  # made after the fork, in every worker
    assert server.process.pid not in files
    spans = [json.loads(line) for p in files.values() for line in p.read_text().splitlines()]
    requests = [s for s in spans if s["kind"] == "SpanKind.SERVER"]
    assert sorted(s["context"]["trace_id"][2:] for s in requests) == traces  # flushed at exit
    assert all(s["parent_id"] == f"0x{SPAN}" for s in requests)
    request_ids = {s["context"]["span_id"] for s in requests}
    queries = [s for s in spans if s["kind"] == "SpanKind.CLIENT"]
    assert queries and all(q["parent_id"] in request_ids for q in queries)
    assert not [s for s in spans if "/health" in s["name"]]  # probes are not traced
