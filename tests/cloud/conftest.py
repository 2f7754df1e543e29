"""A project to deploy (cloudrun.toml + Dockerfile in tmp_path), its target, and the fakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud_support import CONFIG, PASSPHRASE, PROJECT, make_target
from django_cloudrun.cloud import clients
from django_cloudrun.cloud.stack import CloudTarget
from fakes import Fakes


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    (tmp_path / "cloudrun.toml").write_text(CONFIG)
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    (tmp_path / "manage.py").write_text("")
    return tmp_path


@pytest.fixture
def target(project_dir: Path) -> CloudTarget:
    return make_target(project_dir)


@pytest.fixture
def fakes() -> Fakes:
    made = Fakes()
    made.state.buckets.add(f"{PROJECT}-django-cloudrun-state")
    return made


@pytest.fixture
def cli_fakes(fakes: Fakes, monkeypatch: pytest.MonkeyPatch) -> Fakes:
    """The commands get these fakes from clients_for (the one injection point)."""
    monkeypatch.setattr(clients, "factory", fakes.factory)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE["PULUMI_CONFIG_PASSPHRASE"])
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")
    return fakes
