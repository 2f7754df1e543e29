"""Project shapes for the init tests, made for real, and a runner for the Dockerfile's steps.

Each shape starts from `django-admin startproject`, then takes the layout a real project of
that kind has. Lock files that init only detects (Poetry's, Pipenv's, uv's for the shape
tests) are minimal stand-ins: init never reads their contents, and the build tests make a
real uv.lock with uv itself.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent
SCRIPT = BIN / "django-cloudrun"
DJANGO_ADMIN = BIN / "django-admin"
REPO = Path(__file__).resolve().parents[2]
HERE = f"{sys.version_info.major}.{sys.version_info.minor}"
# Variables that would leak this machine's choices into init or the builds.
_SCRUBBED = (
    "GOOGLE_CLOUD_PROJECT",
    "CLOUDSDK_CORE_PROJECT",
    "DJANGO_SETTINGS_MODULE",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "PYTHONHOME",
    "DJANGO_CLOUDRUN_CONFIG",
)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    # init adds django-cloudrun as if installed from the index: the wheelhouse fixture stands
    # for the index. This checkout is an editable install, so init would vendor a wheel of it
    # (tests of that say so with DJANGO_CLOUDRUN_DEPENDENCY=auto or wheel).
    return {
        **env,
        "NO_COLOR": "1",
        "COLUMNS": "200",
        "TERM": "dumb",
        "DJANGO_CLOUDRUN_DEPENDENCY": "index",
        **extra,
    }


def run(args: list[str], cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_env(**extra),
        stdin=subprocess.DEVNULL,
    )


def cli(*args: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """The console script, as a user runs it (no terminal on stdin), on this checkout's code
    (the virtual environment's editable install may point at another checkout)."""
    return run([str(SCRIPT), *args], cwd, PYTHONPATH=str(REPO / "src"), **extra)


def git(root: Path, *args: str) -> str:
    result = run(
        [
            "git",
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        root,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def commit_all(root: Path) -> None:
    if not (root / ".git").exists():
        git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "project", "--allow-empty")


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def startproject(root: Path, name: str = "mysite") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    result = run([str(DJANGO_ADMIN), "startproject", name, str(root)], root)
    assert result.returncode == 0, result.stderr
    return root


def fresh(root: Path) -> Path:
    return startproject(root)


def settings_package(root: Path) -> Path:
    """settings/base.py + settings/production.py, manage.py on production, split requirements."""
    startproject(root)
    single = root / "mysite" / "settings.py"
    package = root / "mysite" / "settings"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "base.py").write_text(
        single.read_text().replace(".resolve().parent.parent", ".resolve().parent.parent.parent")
    )
    (package / "production.py").write_text(
        '"""Production settings."""\n\nfrom .base import *  # noqa: F403\n\nDEBUG = False\n'
    )
    single.unlink()
    manage = root / "manage.py"
    manage.write_text(manage.read_text().replace("mysite.settings", "mysite.settings.production"))
    (root / "requirements").mkdir()
    (root / "requirements" / "base.txt").write_text("Django>=5.2,<5.3\n")
    (root / "requirements" / "production.txt").write_text("-r base.txt\ngunicorn\n")
    (root / ".python-version").write_text("3.12\n")
    return root


def poetry(root: Path) -> Path:
    startproject(root)
    (root / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "mysite"\nversion = "0.1.0"\ndescription = ""\n'
        'authors = ["Test <test@example.com>"]\npackage-mode = false\n\n'
        '[tool.poetry.dependencies]\npython = "^3.13"\nDjango = "^5.2"\n\n'
        '[build-system]\nrequires = ["poetry-core>=2.0"]\n'
        'build-backend = "poetry.core.masonry.api"\n'
    )
    (root / "poetry.lock").write_text('package = []\n\n[metadata]\nlock-version = "2.1"\n')
    return root


def uv_project(root: Path) -> Path:
    startproject(root, "shop")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "shop"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        'dependencies = [\n    "Django>=5.2,<5.3",\n]\n\n[tool.uv]\npackage = false\n'
    )
    (root / "uv.lock").write_text("version = 1\n")
    return root


def pipenv(root: Path) -> Path:
    startproject(root)
    (root / "Pipfile").write_text(
        '[[source]]\nurl = "https://pypi.org/simple"\nverify_ssl = true\nname = "pypi"\n\n'
        '[packages]\ndjango = ">=5.2,<5.3"\n\n[dev-packages]\n\n'
        '[requires]\npython_version = "3.13"\n'
    )
    (root / "Pipfile.lock").write_text('{"_meta": {}, "default": {}, "develop": {}}\n')
    return root


SHAPES: dict[str, Callable[[Path], Path]] = {
    "fresh": fresh,
    "settings-package": settings_package,
    "poetry": poetry,
    "uv": uv_project,
    "pipenv": pipenv,
}


def instructions(dockerfile: str) -> list[tuple[str, str, str]]:
    """(stage, KEYWORD, arguments) for each instruction; continuations joined, comments gone."""
    found, stage, current = [], "", ""
    for line in dockerfile.splitlines():
        if line.lstrip().startswith("#"):
            continue
        current += line[:-1] + " " if line.endswith("\\") else line
        if line.endswith("\\"):
            continue
        if current.strip():
            keyword, _, rest = current.strip().partition(" ")
            if keyword == "FROM":
                stage = rest.split(" AS ")[1].strip() if " AS " in rest else "runtime"
            found.append((stage, keyword, " ".join(rest.split())))
        current = ""
    return found


# They would change this machine's accounts and files: the image's, never the host's.
HOST_CHANGING = ("groupadd", "useradd", "chown")


def run_stage(
    dockerfile: str, stage: str, *, source: Path, image_python: Path, work: Path, **env: str
) -> dict[str, str]:
    """Run one stage's ENV, WORKDIR, COPY and RUN instructions on this machine.

    `image_python` is a virtual environment standing for the image's own Python (/usr/local);
    /opt/venv and /app become directories under `work`; RUN steps run with sh, less their
    parts (between &&) that manage accounts or owners. Returns the environment.
    """
    paths = {"/opt/venv": str(work / "venv"), "/app": str(work / "app")}

    def local(text: str) -> str:
        for image_path, here in paths.items():
            text = text.replace(image_path, here)
        return text

    environ = clean_env(PATH=f"{image_python}/bin:{os.environ['PATH']}", **env)
    work.mkdir(parents=True, exist_ok=True)
    cwd = work
    for where, keyword, args in instructions(dockerfile):
        if where != stage:
            continue
        args = local(args)
        if keyword == "ENV":
            for pair in shlex.split(args):
                name, _, value = pair.partition("=")
                environ[name] = value.replace("$PATH", environ["PATH"])
        elif keyword == "WORKDIR":
            cwd = Path(args)
            cwd.mkdir(parents=True, exist_ok=True)
        elif keyword == "COPY" and not args.startswith("--from"):
            *names, destination = args.split()
            for name in names:
                target = cwd / destination / Path(name).name
                target.parent.mkdir(parents=True, exist_ok=True)
                if (source / name).is_dir():
                    shutil.copytree(
                        source / name,
                        target,
                        dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".git", ".venv"),
                    )
                else:
                    shutil.copy2(source / name, target)
        elif keyword == "RUN":
            parts = [p for p in args.split(" && ") if p.split()[0] not in HOST_CHANGING]
            if not parts:
                continue
            result = subprocess.run(
                ["sh", "-c", " && ".join(parts)],
                cwd=cwd,
                env=environ,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert result.returncode == 0, f"RUN {args}\n{result.stdout}\n{result.stderr}"
    return environ


_ENVIRON_BASE = '''\
"""Base settings, shared by every environment."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
env.read_env(str(BASE_DIR / ".env"))

DEBUG = env.bool("DJANGO_DEBUG", False)
DATABASES = {"default": env.db("DATABASE_URL")}
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
ADMIN_URL = env("DJANGO_ADMIN_URL")
STATIC_URL = "/static/"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.contrib.auth.context_processors.auth"]},
    }
]
'''
_ENVIRON_PRODUCTION = '''\
"""Production settings."""

import os

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["example.com"])
ANYMAIL = {
    "MAILGUN_API_KEY": env("MAILGUN_API_KEY"),
    "MAILGUN_SENDER_DOMAIN": env.str("MAILGUN_DOMAIN"),
}
GS_BUCKET_NAME = env("DJANGO_GCP_STORAGE_BUCKET_NAME")
REDIS_PASSWORD = os.environ["REDIS_PASSWORD"]
SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT", "production")
CACHE_TTL = env.int("CACHE_TTL", 300)
'''
_ENVIRON_LOCAL = '''\
"""Development settings."""

from .base import *  # noqa: F403
from .base import env

DEBUG = True
SECRET_KEY = env("DJANGO_SECRET_KEY", default="not-a-secret")
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
LOCAL_ONLY = env("LOCAL_ONLY_VARIABLE")
'''


def environ_settings(root: Path) -> Path:
    """A production template's layout: config/settings/{base,local,production}.py read with
    django-environ, DATABASES from DATABASE_URL, manage.py on local, wsgi.py on production,
    required variables without defaults, requirements/{base,local,production}.txt."""
    startproject(root, "config")
    (root / "config" / "settings.py").unlink()
    package = root / "config" / "settings"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "base.py").write_text(_ENVIRON_BASE)
    (package / "local.py").write_text(_ENVIRON_LOCAL)
    (package / "production.py").write_text(_ENVIRON_PRODUCTION)
    manage = root / "manage.py"
    manage.write_text(manage.read_text().replace("config.settings'", "config.settings.local'"))
    for name in ("wsgi.py", "asgi.py"):
        path = root / "config" / name
        path.write_text(path.read_text().replace("config.settings'", "config.settings.production'"))
    (root / "requirements").mkdir()
    (root / "requirements" / "base.txt").write_text("Django>=5.2,<5.3\ndjango-environ\n")
    (root / "requirements" / "local.txt").write_text("-r base.txt\n")
    (root / "requirements" / "production.txt").write_text("-r base.txt\ngunicorn\n")
    (root / ".python-version").write_text("3.12\n")
    return root


OWN_DOCKERFILE = """\
FROM python:3.12-slim
WORKDIR /code
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
ENV DJANGO_SETTINGS_MODULE=mysite.settings
CMD ["python", "manage.py", "runserver", "0.0.0.0:8000"]
"""


def own_dockerfile(root: Path) -> Path:
    """A fresh project with a Dockerfile of its own and no .gitignore."""
    startproject(root)
    (root / "requirements.txt").write_text("Django>=5.2,<5.3\n")
    (root / "Dockerfile").write_text(OWN_DOCKERFILE)
    return root
