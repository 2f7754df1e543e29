"""The cloudrun.toml init writes: only what it detected or was told; the model has the rest."""

from __future__ import annotations

import json

from ..config import CloudRunConfig, parse_config

__all__ = ["render_config"]

_HEADER = """\
# How this project runs on Google Cloud Run; django-cloudrun reads it (init wrote it).
# Every key, its default and its rule: the "cloudrun.toml reference" in django-cloudrun's
# README. Check it with `django-cloudrun validate`; list what it creates with
# `django-cloudrun plan`.

"""


def render_config(
    project_id: str | None, region: str | None, github_repository: str | None
) -> tuple[str, CloudRunConfig]:
    """(the file's text, the configuration it resolves to); ConfigError on a bad value."""
    lines = [_HEADER]
    if project_id:
        lines.append(f"project_id = {_string(project_id)}\n")
    else:
        lines.append('# project_id = "your-project-id"  # required by deploy\n')
    if region:
        lines.append(f"region = {_string(region)}\n")
    if github_repository:
        lines.append(
            "\n# To deploy from Cloud Build (cloudbuild.yaml) on every push instead of GitHub\n"
            "# Actions (.github/workflows/deploy.yml), uncomment these lines and delete the\n"
            "# workflow: use one of the two, never both.\n"
            "# [build]\n"
            f"# github_repository = {_string(github_repository)}\n"
        )
    text = "".join(lines)
    return text, parse_config(text)


def _string(value: str) -> str:
    return json.dumps(value)  # a TOML basic string for any printable value
