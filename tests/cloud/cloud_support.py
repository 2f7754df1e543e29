"""What the cloud tests share besides fixtures: the project, its passphrase, its target."""

from __future__ import annotations

from pathlib import Path

from django_cloudrun.cloud.stack import CloudTarget, target_for
from django_cloudrun.config import load_config

PROJECT = "shop-prod-1"
CONFIG = f'project_id = "{PROJECT}"\nregion = "europe-west1"\ntenant_deployment_id = "shop"\n'
PASSPHRASE = {"PULUMI_CONFIG_PASSPHRASE": "correct horse battery staple"}


def make_target(project_dir: Path, env: str | None = None, **options: str) -> CloudTarget:
    config = load_config(project_dir / "cloudrun.toml", env)
    return target_for(config, project_dir, env, **options)
