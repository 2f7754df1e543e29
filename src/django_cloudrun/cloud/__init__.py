"""Deploying to Google Cloud: deploy, destroy, doctor, and the cloud side of status/logs/run.

The orchestration (preflight, deploy, destroy, observe) is plain Python over small
interfaces (interfaces.py): the Pulumi Automation API, Cloud Build, Cloud Run, Cloud
Logging, the state bucket and the preflight probe. Their real implementations are in
real/ and import their libraries only when used; tests pass fakes. Deploy-side only: the
container runtime never imports this package.
"""

from __future__ import annotations

from .errors import CloudError, PrerequisiteError

__all__ = ["CloudError", "PrerequisiteError"]
