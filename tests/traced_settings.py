"""The example project's settings, exporting spans to files (tests/test_tracing.py)."""

from mysite.settings import *  # noqa: F403

CLOUDRUN_TRACE_EXPORTER = "tracing_support.file_exporter"
