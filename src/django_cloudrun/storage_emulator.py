"""Media on a local Cloud Storage emulator: what `django-cloudrun up` uses for media.mode api.

An emulator has no authentication, so the storage client talks to it anonymously, and
anonymous credentials cannot sign URLs. The local target provides a throwaway
service-account key (GOOGLE_APPLICATION_CREDENTIALS); URLs are signed with it, offline, and
the emulator serves them without checking the signature. configure() picks this backend only
when STORAGE_EMULATOR_HOST is set: on Cloud Run URLs are signed through the IAM API.
"""

from __future__ import annotations

import os
from typing import Any

from storages.backends.gcloud import GoogleCloudStorage

from . import contract

__all__ = ["EmulatorStorage"]


class EmulatorStorage(GoogleCloudStorage):  # type: ignore[misc]  # untyped library
    _signer: Any = None

    def url(self, name: str, parameters: dict[str, Any] | None = None) -> str:
        params = dict(parameters or {})
        key_file = os.environ.get(contract.GOOGLE_APPLICATION_CREDENTIALS.name)
        if key_file and "credentials" not in params:
            if self._signer is None:
                from google.oauth2 import service_account

                load = service_account.Credentials.from_service_account_file
                self._signer = load(key_file)  # type: ignore[no-untyped-call]
            params["credentials"] = self._signer
        return str(super().url(name, params))
