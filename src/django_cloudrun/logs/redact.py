"""Secret values never reach a log line: a filter that scrubs them from every record."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from django.conf import settings

from .. import contract
from ..contract import REDACTED

__all__ = ["REDACTED", "MIN_SECRET_LENGTH", "RedactSecretsFilter"]

# Shorter values ("1", "true", "django") would mangle ordinary text and protect nothing.
MIN_SECRET_LENGTH = 6
_DONE = "_cloudrun_redacted"


def _secret_variable_names() -> list[str]:
    """The contract's secret variables and the project's own, named in the environment."""
    own = contract.csv(os.environ.get(contract.CLOUDRUN_SECRET_VARIABLES.name, ""))
    return [var.name for var in contract.CONTRACT if var.secret] + own


class RedactSecretsFilter(logging.Filter):
    """Replace secret values with ``REDACTED`` in a record's message, arguments and traceback.

    The secrets are the values of the contract's secret variables in the environment (read
    once, here), Django's SECRET_KEY and its fallbacks once settings are loaded, and ``values``.
    The filter rewrites the record in place (``msg`` becomes the final message, ``args`` empty,
    ``exc_text`` the scrubbed traceback), so every handler after it sees the scrubbed record.
    """

    def __init__(self, name: str = "", values: Iterable[str] = ()) -> None:
        super().__init__(name)
        self._secrets: set[str] = set()
        self._add([os.environ.get(name, "") for name in _secret_variable_names()])
        self._add(values)
        self._django_read = False

    def _add(self, values: Iterable[Any]) -> None:
        for value in values:
            if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH:
                self._secrets.update({value, quote(value, safe="")})
        # Longest first, so a secret containing another is replaced whole.
        self._ordered = sorted(self._secrets, key=len, reverse=True)

    def _read_django_settings(self) -> None:
        # Logging may be configured before Django's settings exist (gunicorn's master process),
        # so SECRET_KEY is read on first use after they are loaded, never forcing them to load.
        if self._django_read or not settings.configured:
            return
        self._django_read = True
        try:
            self._add([settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ())])
        except Exception:  # an unusable settings module must not break logging
            pass

    def redact(self, text: str) -> str:
        self._read_django_settings()
        for secret in self._ordered:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def scrub(self, value: Any) -> Any:
        """``value`` with every string in it redacted, through dicts, lists and tuples."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, Mapping):
            return {key: self.scrub(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.scrub(item) for item in value]
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _DONE, False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep everything, minus the secrets
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = self.redact(message), ()
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for attribute in ("json_fields", "http_request"):
            if isinstance(getattr(record, attribute, None), Mapping):
                setattr(record, attribute, self.scrub(getattr(record, attribute)))
        setattr(record, _DONE, True)
        return True
