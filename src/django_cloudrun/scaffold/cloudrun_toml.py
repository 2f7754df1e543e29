"""The cloudrun.toml init writes: only what it detected or was told; the model has the rest."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from ..config import FILL_IN, CloudRunConfig, parse_config
from .required import Required

__all__ = ["render_config", "secret_id_for"]

_HEADER = """\
# How this project runs on Google Cloud Run; django-cloudrun reads it (init wrote it).
# Every key, its default and its rule: the "cloudrun.toml reference" in django-cloudrun's
# README. Check it with `django-cloudrun validate`; list what it creates with
# `django-cloudrun plan`.

"""


def render_config(
    project_id: str | None,
    region: str | None,
    github_repository: str | None,
    settings_module: str | None = None,
    required: Sequence[Required] = (),
    celery_app: str | None = None,
) -> tuple[str, CloudRunConfig]:
    """(the file's text, the configuration it resolves to); ConfigError on a bad value."""
    lines = [_HEADER]
    if project_id:
        lines.append(f"project_id = {_string(project_id)}\n")
    else:
        lines.append('# project_id = "your-project-id"  # required by deploy\n')
    if region:
        lines.append(f"region = {_string(region)}\n")
    if settings_module:
        lines.append(
            "# The settings of the image, the service, its jobs and `up`.\n"
            f"settings_module = {_string(settings_module)}\n"
        )
    if github_repository:
        lines.append(
            "\n# To deploy from Cloud Build (cloudbuild.yaml) on every push instead of GitHub\n"
            "# Actions (.github/workflows/deploy.yml), uncomment these lines and delete the\n"
            "# workflow: use one of the two, never both.\n"
            "# [build]\n"
            f"# github_repository = {_string(github_repository)}\n"
        )
    if celery_app:
        lines.append(
            "\n# The project's Celery app (init found it). enable_worker = true runs it on a Cloud\n"
            '# Run worker pool with a Memorystore broker (needs vpc.mode = "direct"), and under\n'
            "# `up` as a supervised process.\n"
            "[worker]\n"
            "# enable_worker = false\n"
            f"app = {_string(celery_app)}\n"
        )
    lines += _required(required)
    text = "".join(lines)
    return text, parse_config(text)


def secret_id_for(name: str) -> str:
    """The Secret Manager id init gives a variable: MAILGUN_API_KEY -> mailgun-api-key."""
    return re.sub(r"_+", "-", name.lower()).strip("-") or "secret"


def _required(required: Sequence[Required]) -> list[str]:
    """The tables of the variables the settings require, each with where it is read."""
    plain = [r for r in required if not r.secret]
    secret = [r for r in required if r.secret]
    lines = []
    if plain:
        lines.append(
            "\n# Read by your settings without a default (init found them): replace each "
            f"{FILL_IN}\n# with its value; `validate` lists those left and deploy refuses them.\n"
            "[environment_variables]\n"
        )
        lines += [f"{r.name} = {_string(FILL_IN)}  # {r.where}\n" for r in plain]
    if secret:
        lines.append(
            "\n# Secrets your settings require: name = Secret Manager secret id. `up` generates\n"
            "# a local value (.cloudrun/local/secrets); before deploying, create each secret:\n"
            "#   printf %s VALUE | gcloud secrets create ID --data-file=-\n"
            "[secret_environment_variables]\n"
        )
        lines += [f"{r.name} = {_string(secret_id_for(r.name))}  # {r.where}\n" for r in secret]
    return lines


def _string(value: str) -> str:
    return json.dumps(value)  # a TOML basic string for any printable value
