"""The Dockerfile and .dockerignore init writes.

Two stages: `build` installs the project's dependencies with its own manager into the
virtual environment /opt/venv; the runtime stage copies that environment and the code onto a
fresh slim image of the same Python, compiles the bytecode, collects the static files (when
WhiteNoise serves them) and runs as the unprivileged user `django` (UID/GID 2000, the owner
GCS FUSE gives the media mount).
"""

from __future__ import annotations

import re
import shlex
from collections import defaultdict
from pathlib import PurePosixPath

from .. import contract
from ..config import CloudRunConfig
from .managers import Manager
from .project import Project
from .render import fill
from .required import build_placeholder, read_without_default
from .source import INDEX, Source

__all__ = ["DOCKERIGNORE", "dockerfile", "dockerfile_gaps"]

STATIC_ROOT = "/app/staticfiles"

_TEMPLATE = """\
# syntax=docker/dockerfile:1
# The production image of this project, for Google Cloud Run. Written by
# `django-cloudrun init`; yours to edit. cloudbuild.yaml and the GitHub workflow build it.

# Build stage: the dependencies, installed by @MANAGER@ into /opt/venv.
FROM python:@PYTHON@-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \\
    PIP_NO_CACHE_DIR=1 \\
    PIP_ROOT_USER_ACTION=ignore
RUN @TOOL@python -m venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv \\
    PATH=/opt/venv/bin:$PATH@BUILD_ENV@
WORKDIR /app
@COPY@RUN @INSTALL@ \\
 && python -m compileall -q --invalidation-mode unchecked-hash /opt/venv

# Runtime stage: the same Python, the environment, the code; no compilers, no tools.
FROM python:@PYTHON@-slim
ENV @UNBUFFERED_VAR@=1 \\
    PYTHONDONTWRITEBYTECODE=1 \\
    VIRTUAL_ENV=/opt/venv \\
    PATH=/opt/venv/bin:$PATH \\
    @SETTINGS_VAR@=@SETTINGS@ \\
    @PORT_VAR@=@PORT@ \\
    @STATIC_ROOT_VAR@=@STATIC_ROOT@
RUN groupadd --system --gid @GID@ django \\
 && useradd --system --no-log-init --uid @UID@ --gid @GID@ --home-dir /nonexistent \\
    --shell /usr/sbin/nologin django
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY . .
# Bytecode is compiled now: at run time the code is read-only for the user django.
@STATIC_COMMENT@RUN python -m compileall -q --invalidation-mode unchecked-hash /app@MEDIA@@STATIC@
USER @UID@:@GID@
EXPOSE @PORT@
# Cloud Run ignores HEALTHCHECK and probes @STARTUP_PATH@ (startup) and @LIVE_PATH@ (liveness)
# itself; this one serves `docker run` and image scanners.
HEALTHCHECK --interval=@LIVE_PERIOD@s --timeout=@LIVE_TIMEOUT@s --start-period=60s --retries=@LIVE_RETRIES@ \\
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('@PORT_VAR@', '@PORT@') + '@LIVE_PATH@', timeout=@LIVE_WAIT@)"]
CMD ["python", "manage.py", "cloudrun_serve"]
"""

_STATIC_COMMENT = """\
# Static files are collected into the image, so the migrate job skips collectstatic. The
# settings load as on Cloud Run (@K_SERVICE@ set) with placeholders for what only exists
# there: no secret is involved, and none of these values stays in the image.
"""
_STATIC = """ \\
 && @K_SERVICE@=collectstatic @SECRET_KEY@=collectstatic-placeholder @DB_HOST@=/nonexistent \\
    @SERVICE_URLS@=http://localhost@REQUIRED@ python manage.py collectstatic --noinput --verbosity 0
ENV @COLLECTED@=1"""

DOCKERIGNORE = """\
# What never goes into the image. Written by `django-cloudrun init`.
# Version control, CI and editor files
.git
.github
.gitignore
.idea
.vscode
# Virtual environments and caches: the image builds its own
.venv
venv
env
**/__pycache__
**/*.py[cod]
.pytest_cache
.mypy_cache
.ruff_cache
.tox
.coverage
htmlcov
node_modules
# Secrets and local state: never in an image
.env
.env.*
*.pem
*.key
*.p12
*credentials*.json
*service-account*.json
.cloudrun
.pulumi
Pulumi.*.yaml
# Local data: the database is Cloud SQL, media live in Cloud Storage, static files are
# collected at build
*.sqlite3
media
staticfiles
# Build files
Dockerfile
.dockerignore
cloudbuild.yaml
"""


def dockerfile(project: Project, config: CloudRunConfig, source: Source = INDEX) -> str:
    manager = project.manager
    static = config.static.mode == "whitenoise"
    live = contract.LIVENESS_PROBE
    return fill(
        _TEMPLATE,
        MANAGER=manager.label,
        PYTHON=project.python,
        TOOL=f'pip install --no-cache-dir "{manager.tool}" \\\n && ' if manager.tool else "",
        BUILD_ENV=_build_env(manager),
        COPY=_copy(manager, source),
        INSTALL=manager.install.replace(" && ", " \\\n && "),
        UNBUFFERED_VAR=contract.PYTHONUNBUFFERED.name,
        SETTINGS_VAR=contract.DJANGO_SETTINGS_MODULE.name,
        SETTINGS=config.settings_module or project.settings_module,
        PORT_VAR=contract.PORT.name,
        PORT=str(contract.DEFAULT_PORT),
        STATIC_ROOT_VAR=contract.STATIC_ROOT.name,
        STATIC_ROOT=STATIC_ROOT,
        UID=str(contract.CONTAINER_UID),
        GID=str(contract.CONTAINER_GID),
        STARTUP_PATH=contract.STARTUP_PROBE.path,
        LIVE_PATH=live.path,
        LIVE_PERIOD=str(live.period_seconds),
        LIVE_TIMEOUT=str(live.timeout_seconds),
        LIVE_RETRIES=str(live.failure_threshold),
        LIVE_WAIT=str(live.timeout_seconds - 1),  # urlopen gives up before Docker does
        MEDIA=_media(config),
        STATIC_COMMENT=fill(_STATIC_COMMENT, K_SERVICE=contract.K_SERVICE.name) if static else "",
        STATIC=fill(
            _STATIC,
            K_SERVICE=contract.K_SERVICE.name,
            SECRET_KEY=contract.SECRET_KEY.name,
            DB_HOST=contract.DB_HOST.name,
            SERVICE_URLS=contract.CLOUDRUN_SERVICE_URLS.name,
            COLLECTED=contract.STATIC_COLLECTED.name,
            REQUIRED=_required_placeholders(project),
        )
        if static
        else "",
    )


def _build_env(manager: Manager) -> str:
    if manager.name != "uv":
        return ""
    # uv syncs into /opt/venv with the image's own Python, and never downloads another one.
    return (
        " \\\n    UV_PROJECT_ENVIRONMENT=/opt/venv \\\n    UV_PYTHON_DOWNLOADS=never"
        " \\\n    UV_LINK_MODE=copy"
    )


def _copy(manager: Manager, source: Source) -> str:
    """COPY lines for the files the install needs (a vendored wheel too), keeping their
    directories."""
    by_dir: dict[str, list[str]] = defaultdict(list)
    for name in (*manager.copy, *([source.wheel] if source.wheel else [])):
        by_dir[str(PurePosixPath(name).parent)].append(name)
    lines = []
    for directory, names in sorted(by_dir.items()):
        destination = "./" if directory == "." else f"{directory}/"
        lines.append(f"COPY {' '.join(sorted(names))} {destination}\n")
    return "".join(lines)


def _media(config: CloudRunConfig) -> str:
    if config.media.mode != "fuse":
        return ""
    # The mount point of the media bucket, writable by django when run without Cloud Run.
    path = config.media.mount_path
    return f" \\\n && mkdir -p {path} && chown django:django {path}"


def _required_placeholders(project: Project) -> str:
    """Placeholders for what the settings read without a default, so they load at build.

    Only the variables the image's ENV or the collectstatic line set are left out: the
    others, DATABASE_URL included, exist only on Cloud Run."""
    image_sets = {
        contract.SECRET_KEY.name,
        contract.DB_HOST.name,
        contract.PYTHONUNBUFFERED.name,
        contract.DJANGO_SETTINGS_MODULE.name,
        contract.PORT.name,
        contract.STATIC_ROOT.name,
        contract.K_SERVICE.name,
    }
    found = [
        r for r in read_without_default(project.root, project.settings) if r.name not in image_sets
    ]
    lines = "".join(f" \\\n    {r.name}={shlex.quote(build_placeholder(r))}" for r in found)
    return lines + " \\\n   " if lines else ""


def dockerfile_gaps(text: str) -> list[str]:
    """What a project's own Dockerfile lacks for Cloud Run, one line each."""
    lines = [line.split("#")[0] for line in text.splitlines()]
    code = "\n".join(lines)
    instructions = [line.strip().split(None, 1) for line in lines if line.strip()]
    serve = " ".join(
        parts[1]
        for parts in instructions
        if parts[0].upper() in ("CMD", "ENTRYPOINT") and len(parts) > 1
    )
    gaps = []
    uid = str(contract.CONTAINER_UID)
    numeric = re.search(rf"(?im)^\s*USER\s+{uid}\b", code)
    created = re.search(rf"(--uid|-u)[ =]{uid}\b", code) and re.search(r"(?im)^\s*USER\s", code)
    if not (numeric or created):
        gaps.append(
            f"no user with UID {uid}: GCS FUSE gives the media mount to {uid}:{uid}, so "
            "uploads fail for any other user"
        )
    if "cloudrun_serve" not in serve and not ("gunicorn" in serve and "PORT" in serve):
        gaps.append(
            "no CMD that runs `python manage.py cloudrun_serve` (or gunicorn bound to "
            "0.0.0.0:$PORT): Cloud Run sends requests to $PORT and probes /health/"
        )
    port = contract.DEFAULT_PORT
    if not re.search(rf"\b{port}\b|\$\{{?PORT\b", code):
        gaps.append(f"no server on port {port} ($PORT), where Cloud Run sends requests")
    if "collectstatic" not in code:
        gaps.append("no collectstatic: WhiteNoise serves the static files collected into the image")
    return gaps
