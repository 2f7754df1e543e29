"""Google Cloud in Python: the Pulumi components CloudRunApp and DjangoApp, and `plan`.

Deploy-side only (the `deploy` extra): the container runtime never imports this package.
"""

from __future__ import annotations

from .args import CloudRunAppArgs, CloudSqlVolume, GcsVolume, JobSpec, Probe, SecretEnv, VpcAccess
from .cloud_run_app import CloudRunApp
from .django_app import DjangoApp, DjangoAppArgs
from .plan import plan
from .program import build, pulumi_program

__all__ = [
    "CloudRunApp",
    "CloudRunAppArgs",
    "CloudSqlVolume",
    "DjangoApp",
    "DjangoAppArgs",
    "GcsVolume",
    "JobSpec",
    "Probe",
    "SecretEnv",
    "VpcAccess",
    "build",
    "plan",
    "pulumi_program",
]
