"""Exporters that tests/test_tracing.py selects with the CLOUDRUN_TRACE_EXPORTER setting.

Both are the OpenTelemetry SDK's own: spans kept in memory, or written as JSON lines.
"""

from __future__ import annotations

import os
from pathlib import Path

from opentelemetry.sdk.trace.export import ConsoleSpanExporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

MEMORY = InMemorySpanExporter()
TRACES_DIR = "TRACES_DIR"  # read by file_exporter only, in the test's server process


def memory_exporter() -> InMemorySpanExporter:
    return MEMORY


def file_exporter() -> ConsoleSpanExporter:
    """Spans of this process as JSON lines in $TRACES_DIR/PID.jsonl, which exists from now."""
    out = (Path(os.environ[TRACES_DIR]) / f"{os.getpid()}.jsonl").open("a")
    return ConsoleSpanExporter(out=out, formatter=lambda span: span.to_json(indent=None) + "\n")
