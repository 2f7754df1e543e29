"""LOGGING for settings.py: ``LOGGING = logging_config(json=...)``."""

from __future__ import annotations

from typing import Any

__all__ = ["logging_config", "HANDLER"]

HANDLER = "cloudrun"
_PACKAGE = __name__.rpartition(".")[0]
# Loggers that keep handlers of their own unless told otherwise (Django's runserver lines,
# gunicorn's error and access logs); they write through our handler, and only once.
_ROUTED = ("django.server", "gunicorn.error", "gunicorn.access")


def logging_config(json: bool, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dict: one handler, JSON or text, secrets scrubbed.

    The handler writes to stderr. Cloud Run reads stdout and stderr alike and takes the
    severity from the JSON, so one stream loses nothing; stderr is unbuffered, so lines are
    not lost when an instance is stopped, and stdout stays free for commands' own output
    (``manage.py dumpdata > file``).
    """
    level = level.upper()
    formatter = "CloudLoggingFormatter" if json else "TextFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact_secrets": {"()": f"{_PACKAGE}.RedactSecretsFilter"}},
        "formatters": {HANDLER: {"()": f"{_PACKAGE}.{formatter}"}},
        "handlers": {
            HANDLER: {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": HANDLER,
                "filters": ["redact_secrets"],
            }
        },
        "root": {"level": level, "handlers": [HANDLER]},
        "loggers": {
            # Replaces Django's default handlers (console when DEBUG, mail_admins): errors go
            # to Error Reporting through the root handler.
            "django": {"level": level, "handlers": [], "propagate": True},
            **{
                name: {"level": level, "handlers": [HANDLER], "propagate": False}
                for name in _ROUTED
            },
        },
    }
