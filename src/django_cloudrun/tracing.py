"""OpenTelemetry traces of requests and their SQL queries, exported to Cloud Trace.

Off unless the CLOUDRUN_TRACING_ENABLED setting is true (configure() reads it from the
environment): then nothing here runs and OpenTelemetry is never imported. When it is on:

- install(), from AppConfig.ready(), sets the propagators (W3C traceparent and Google's
  X-Cloud-Trace-Context), instruments Django and psycopg and lets log lines name the active
  span. It starts no thread and opens no connection, so it is safe in gunicorn's master,
  which loads the app and then forks the workers.
- start() gives a process its TracerProvider, BatchSpanProcessor (a thread) and exporter (a
  gRPC channel), none of which survives fork(). So every process makes its own: a gunicorn
  worker in the post_fork hook, before it accepts a request; any other server (runserver, the
  test client) on its first request, from request_started, which Django sends before the
  middleware. Until then spans go to OpenTelemetry's no-op proxy: the master exports nothing.

A request that carries a sampling decision (Cloud Run's front end sends one) follows it; the
others are traced at CLOUDRUN_TRACE_SAMPLE_RATIO. Only requests start traces: a query run
outside a request (a probe's, a management command's) is not a trace of its own.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import request_started
from django.utils.module_loading import import_string

from . import contract
from .logs import TraceContext, set_span_reader
from .settings import HEALTH_MIDDLEWARE

__all__ = [
    "DEFAULT_EXPORTER",
    "DEFAULT_SAMPLE_RATIO",
    "INSTALL_HINT",
    "cloud_trace_exporter",
    "install",
    "resource_attributes",
    "sampler",
    "shutdown",
    "start",
    "uninstall",
]

INSTALL_HINT = 'pip install "django-cloudrun[otel]"'
DEFAULT_SAMPLE_RATIO = float(contract.CLOUDRUN_TRACE_SAMPLE_RATIO.default)
# A dotted path to a callable that returns a SpanExporter (setting CLOUDRUN_TRACE_EXPORTER).
DEFAULT_EXPORTER = "django_cloudrun.tracing.cloud_trace_exporter"
_REQUIRED = (
    "opentelemetry.sdk.trace",
    "opentelemetry.instrumentation.django",
    "opentelemetry.instrumentation.psycopg",
    "opentelemetry.propagators.cloud_trace_propagator",
)
# https://SERVICE-PROJECT_NUMBER.REGION.run.app, Cloud Run's deterministic URL.
_RUN_APP = re.compile(r"[^.]+\.([a-z]+-[a-z]+[0-9]+)\.run\.app")
_DISPATCH_UID = "django_cloudrun.tracing.start"

_lock = threading.Lock()
_installed = False
_started_in: int | None = None  # the pid whose provider is set
_provider: Any = None


def _require(modules: tuple[str, ...]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as error:
            raise ImproperlyConfigured(
                f"CLOUDRUN_TRACING_ENABLED is on but {error.name or name} cannot be imported: "
                f"{INSTALL_HINT}"
            ) from None


def install() -> None:
    """Instrument this process: propagators, Django, psycopg, log lines (idempotent)."""
    global _installed
    if _installed:
        return
    default = getattr(settings, "CLOUDRUN_TRACE_EXPORTER", DEFAULT_EXPORTER) == DEFAULT_EXPORTER
    _require(_REQUIRED + (("opentelemetry.exporter.cloud_trace",) if default else ()))
    # Wrong settings fail at startup, not in a worker's post_fork or on a first request.
    _ratio()
    _exporter_factory()
    from opentelemetry import propagate, trace
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.propagators.cloud_trace_propagator import CloudTraceFormatPropagator
    from opentelemetry.propagators.composite import CompositePropagator
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    # The last one wins when both headers are sent, as in the logs: traceparent.
    propagate.set_global_textmap(
        CompositePropagator([CloudTraceFormatPropagator(), TraceContextTextMapPropagator()])
    )
    # Right after the probe middleware: probes are not traced and never meet the host
    # validation that the OpenTelemetry middleware's build_absolute_uri() does.
    middleware = list(settings.MIDDLEWARE)
    position = middleware.index(HEALTH_MIDDLEWARE) + 1 if HEALTH_MIDDLEWARE in middleware else 0
    DjangoInstrumentor().instrument(middleware_position=position)
    PsycopgInstrumentor().instrument()
    set_span_reader(_span_reader(trace.get_current_span))
    request_started.connect(_start_on_request, dispatch_uid=_DISPATCH_UID)
    _installed = True


def uninstall() -> None:
    """Undo install(). The process keeps its tracer provider: OpenTelemetry sets it once."""
    global _installed
    if not _installed:
        return
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    request_started.disconnect(dispatch_uid=_DISPATCH_UID)
    set_span_reader(None)
    PsycopgInstrumentor().uninstrument()
    DjangoInstrumentor().uninstrument()
    _installed = False


def start() -> None:
    """Give this process its tracer provider and exporter, once; nothing unless installed."""
    global _started_in, _provider
    if not _installed or _started_in == os.getpid():
        return
    with _lock:
        if _started_in == os.getpid():
            return
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider(
            resource=Resource.create(resource_attributes()), sampler=sampler(_ratio())
        )
        exporter = _exporter()
        if exporter is not None:
            provider.add_span_processor(BatchSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        _provider, _started_in = provider, os.getpid()


def shutdown() -> None:
    """Export the spans still queued in this process (gunicorn's worker_exit)."""
    if _provider is not None and _started_in == os.getpid():
        _provider.shutdown()


def sampler(ratio: float) -> Any:
    """ParentBased: a caller's decision is followed; a request without one is traced at
    ``ratio``; a span outside any request (no parent, not a server span) is dropped."""
    from opentelemetry.sdk.trace.sampling import (
        Decision,
        ParentBased,
        Sampler,
        SamplingResult,
        TraceIdRatioBased,
    )
    from opentelemetry.trace import SpanKind

    by_ratio = TraceIdRatioBased(ratio)

    class RequestsOnly(Sampler):
        def should_sample(
            self,
            parent_context: Any,
            trace_id: int,
            name: str,
            kind: Any = None,
            attributes: Any = None,
            links: Any = None,
            trace_state: Any = None,
        ) -> Any:
            if kind is not SpanKind.SERVER:
                return SamplingResult(Decision.DROP)
            return by_ratio.should_sample(
                parent_context, trace_id, name, kind, attributes, links, trace_state
            )

        def get_description(self) -> str:
            return f"RequestsOnly{{{by_ratio.get_description()}}}"

    return ParentBased(RequestsOnly())


def resource_attributes(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """service.name (the Cloud Run service), service.version (its revision), cloud.*."""
    service = environ.get(contract.K_SERVICE.name, "")
    attributes = {
        "service.name": service or "django-cloudrun",
        "service.version": environ.get(contract.K_REVISION.name, ""),
        "cloud.provider": "gcp" if service else "",
        "cloud.platform": "gcp_cloud_run" if service else "",
        "cloud.account.id": environ.get(contract.GOOGLE_CLOUD_PROJECT.name, ""),
    }
    for url in contract.csv(environ.get(contract.CLOUDRUN_SERVICE_URLS.name, "")):
        match = _RUN_APP.search(url)
        if match:
            attributes["cloud.region"] = match[1]
            break
    return {key: value for key, value in attributes.items() if value}


def cloud_trace_exporter() -> Any:
    """The default exporter: Cloud Trace, in GOOGLE_CLOUD_PROJECT, as the service's account."""
    from opentelemetry.exporter.cloud_trace import CloudTraceSpanExporter

    return CloudTraceSpanExporter(  # type: ignore[no-untyped-call]
        project_id=os.environ.get(contract.GOOGLE_CLOUD_PROJECT.name) or None,
        # Shown as labels in Cloud Trace: which service, revision and region served it.
        resource_regex=r"(service|cloud)\.",
    )


def _ratio() -> float:
    value = getattr(settings, "CLOUDRUN_TRACE_SAMPLE_RATIO", DEFAULT_SAMPLE_RATIO)
    try:
        ratio = float(value)
    except (TypeError, ValueError):
        ratio = -1.0
    if not 0 <= ratio <= 1:
        raise ImproperlyConfigured(
            f"CLOUDRUN_TRACE_SAMPLE_RATIO must be a number from 0 to 1, got {value!r}"
        )
    return ratio


def _exporter_factory() -> Callable[[], Any]:
    path: str | Callable[[], Any] = getattr(settings, "CLOUDRUN_TRACE_EXPORTER", DEFAULT_EXPORTER)
    if not isinstance(path, str):
        return path
    try:
        factory: Callable[[], Any] = import_string(path)
    except ImportError as error:
        raise ImproperlyConfigured(f"CLOUDRUN_TRACE_EXPORTER: {error}") from None
    return factory


def _exporter() -> Any:
    factory = _exporter_factory()
    try:
        return factory()
    except Exception as error:  # no credentials, say: keep serving, spans still name log lines
        logging.getLogger(__name__).error(
            "tracing: spans are not exported, the exporter could not be created: %s", error
        )
        return None


def _start_on_request(**kwargs: Any) -> None:
    start()


def _span_reader(current_span: Callable[[], Any]) -> Callable[[], TraceContext | None]:
    def read() -> TraceContext | None:
        context = current_span().get_span_context()
        if not context.is_valid:
            return None
        return TraceContext(
            f"{context.trace_id:032x}", f"{context.span_id:016x}", context.trace_flags.sampled
        )

    return read
