"""A corpus of project shapes users arrive with, each walked as a new user would walk it.

Every shape is generated here (nothing is copied from a public project): a Django project of
that shape with a `pages` app (a home page with a stylesheet, a `Note` model, a fixture whose
`auth.user` pk 1 is `admin`, and the project's own setup command). `walk()` takes one through
the README's path with no edits of the files init writes, except filling the values init asks
for in cloudrun.toml (the user's step after `init`):

    git init && git commit -> django-cloudrun init --yes -> git commit -> django-cloudrun up
    -> GET / and /admin/login/, log in as the superuser -> django-cloudrun run -- <setup>
    -> GET / again -> django-cloudrun down -> no process left

Each step is recorded (pass/fail, detail) with the time `up` took to be ready, for the tests
(tests/local/test_corpus.py) and the table of benchmarks/corpus.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

# The project builders and the CLI runner live beside the init tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scaffold"))

from scaffold_support import DJANGO_ADMIN, HERE, REPO, cli, commit_all, run
from served import free_port
from upstack import Up, cli_argv, cli_env, leftovers

# --- the pages app, shared by every shape ----------------------------------------------------

DEMO_PASSWORD = "changeme"


def _pbkdf2(password: str, salt: str = "corpusdemosalt", iterations: int = 600_000) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode()}"


def _user(pk: int, username: str, *, superuser: bool) -> dict:
    return {
        "model": "auth.user",
        "pk": pk,
        "fields": {
            "username": username,
            "password": _pbkdf2(DEMO_PASSWORD),
            "email": f"{username}@example.com",
            "is_superuser": superuser,
            "is_staff": superuser,
            "is_active": True,
            "date_joined": "2024-01-01T00:00:00Z",
        },
    }


DEMO_FIXTURE = [
    _user(1, "admin", superuser=True),
    _user(2, "editor", superuser=False),
    {"model": "pages.note", "pk": 1, "fields": {"title": "Welcome", "body": "Demo content."}},
    {"model": "pages.note", "pk": 2, "fields": {"title": "About", "body": "More demo content."}},
]

PAGES = {
    "__init__.py": "",
    "apps.py": (
        "from django.apps import AppConfig\n\n\n"
        "class PagesConfig(AppConfig):\n"
        '    default_auto_field = "django.db.models.BigAutoField"\n'
        '    name = "pages"\n'
    ),
    "models.py": (
        "from django.db import models\n\n\n"
        "class Note(models.Model):\n"
        "    title = models.CharField(max_length=200)\n"
        "    body = models.TextField(blank=True)\n\n"
        "    def __str__(self):\n"
        "        return self.title\n"
    ),
    "admin.py": (
        "from django.contrib import admin\n\nfrom .models import Note\n\nadmin.site.register(Note)\n"
    ),
    "views.py": (
        "from django.shortcuts import render\n\nfrom .models import Note\n\n\n"
        "def home(request):\n"
        '    return render(request, "pages/home.html", {"notes": Note.objects.all()})\n'
    ),
    "migrations/__init__.py": "",
    "migrations/0001_initial.py": (
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    initial = True\n"
        "    dependencies = []\n"
        "    operations = [\n"
        "        migrations.CreateModel(\n"
        '            name="Note",\n'
        "            fields=[\n"
        '                ("id", models.BigAutoField(auto_created=True, primary_key=True, '
        'serialize=False, verbose_name="ID")),\n'
        '                ("title", models.CharField(max_length=200)),\n'
        '                ("body", models.TextField(blank=True)),\n'
        "            ],\n"
        "        ),\n"
        "    ]\n"
    ),
    "templates/pages/home.html": (
        "{% load static %}<!doctype html>\n<html><head><title>Home</title>\n"
        '<link rel="stylesheet" href="{% static \'pages/site.css\' %}"></head>\n'
        "<body><h1>Home</h1><ul>{% for note in notes %}<li>{{ note.title }}</li>"
        "{% endfor %}</ul></body></html>\n"
    ),
    "static/pages/site.css": "body { font-family: sans-serif; }\n",
    "fixtures/demo.json": json.dumps(DEMO_FIXTURE, indent=2) + "\n",
    "management/__init__.py": "",
    "management/commands/__init__.py": "",
    "management/commands/load_demo.py": (
        '"""Loads the demo content: users (admin at pk 1) and notes."""\n\n'
        "from django.core.management import call_command\n"
        "from django.core.management.base import BaseCommand\n\n\n"
        "class Command(BaseCommand):\n"
        '    help = "Load the demo content."\n\n'
        "    def handle(self, *args, **options):\n"
        '        call_command("loaddata", "demo", verbosity=options["verbosity"])\n'
    ),
    "management/commands/seed_data.py": (
        '"""Seeds a few hundred notes and an editor account."""\n\n'
        "from django.contrib.auth import get_user_model\n"
        "from django.core.management.base import BaseCommand\n"
        "from django.db import transaction\n\n"
        "from pages.models import Note\n\n\n"
        "class Command(BaseCommand):\n"
        '    help = "Seed the database."\n\n'
        "    def add_arguments(self, parser):\n"
        '        parser.add_argument("--count", type=int, default=300)\n\n'
        "    @transaction.atomic\n"
        "    def handle(self, *args, count, **options):\n"
        "        user_model = get_user_model()\n"
        '        if not user_model.objects.filter(username="editor").exists():\n'
        '            user_model.objects.create_user("editor", "editor@example.com", "x")\n'
        '        Note.objects.bulk_create(Note(title=f"Note {i}") for i in range(count))\n'
        '        self.stdout.write(f"{Note.objects.count()} notes")\n'
    ),
}


def add_pages(root: Path) -> None:
    for name, text in PAGES.items():
        path = root / "pages" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def startproject(root: Path, name: str) -> None:
    result = run([str(DJANGO_ADMIN), "startproject", name, str(root)], root)
    assert result.returncode == 0, result.stderr


SINGLE_URLS = """\
from django.contrib import admin
from django.urls import path

from pages.views import home

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
]
"""


def single_file_settings(root: Path, name: str) -> Path:
    """startproject's settings.py with the pages app and its URL."""
    settings = root / name / "settings.py"
    text = settings.read_text()
    text, added = re.subn(
        r"""(['"])django\.contrib\.staticfiles\1,\n""", r"\g<0>    \1pages\1,\n", text
    )
    assert added == 1, text
    text += '\nSTATIC_ROOT = BASE_DIR / "staticfiles"\n'
    settings.write_text(text)
    (root / name / "urls.py").write_text(SINGLE_URLS)
    return settings


GITIGNORE = "__pycache__/\n*.pyc\n.venv/\nstaticfiles/\ndb.sqlite3\n.env\n"

# --- the shapes ------------------------------------------------------------------------------

ENVIRON_BASE = '''\
"""Base settings, shared by every environment."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve(strict=True).parent.parent.parent
env = environ.Env()

READ_DOT_ENV_FILE = env.bool("DJANGO_READ_DOT_ENV_FILE", default=False)
if READ_DOT_ENV_FILE:
    env.read_env(str(BASE_DIR / ".env"))

DEBUG = env.bool("DJANGO_DEBUG", False)
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True

DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

DJANGO_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
]
THIRD_PARTY_APPS = []
LOCAL_APPS = ["pages"]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

STATIC_ROOT = str(BASE_DIR / "staticfiles")
STATIC_URL = "/static/"
MEDIA_ROOT = str(BASE_DIR / "media")
MEDIA_URL = "/media/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

ADMIN_URL = "admin/"
'''

ENVIRON_LOCAL = '''\
"""Development settings."""

from .base import *  # noqa: F403
from .base import env

DEBUG = True
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-development-only")
ALLOWED_HOSTS = ["localhost", "0.0.0.0", "127.0.0.1"]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
'''

ENVIRON_PRODUCTION = '''\
"""Production settings."""

from .base import *  # noqa: F403
from .base import DATABASES, env

SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["example.com"])

DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 60
SECURE_CONTENT_TYPE_NOSNIFF = env.bool("DJANGO_SECURE_CONTENT_TYPE_NOSNIFF", default=True)

GS_BUCKET_NAME = env("DJANGO_GCP_STORAGE_BUCKET_NAME")
GS_DEFAULT_ACL = "publicRead"

DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="site <noreply@example.com>")
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
MAILGUN_API_KEY = env("MAILGUN_API_KEY")

ADMIN_URL = env("DJANGO_ADMIN_URL")
'''

ENVIRON_URLS = """\
from django.conf import settings
from django.contrib import admin
from django.urls import path

from pages.views import home

urlpatterns = [
    path("", home, name="home"),
    path(settings.ADMIN_URL, admin.site.urls),
]
"""


def environ_package(root: Path) -> None:
    """A production template: config/settings/{base,local,production}.py on django-environ,
    DATABASES from DATABASE_URL, required variables without defaults, manage.py on local."""
    startproject(root, "config")
    (root / "config" / "settings.py").unlink()
    package = root / "config" / "settings"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "base.py").write_text(ENVIRON_BASE)
    (package / "local.py").write_text(ENVIRON_LOCAL)
    (package / "production.py").write_text(ENVIRON_PRODUCTION)
    (root / "config" / "urls.py").write_text(ENVIRON_URLS)
    manage = root / "manage.py"
    manage.write_text(manage.read_text().replace("config.settings'", "config.settings.local'"))
    for name in ("wsgi.py", "asgi.py"):
        path = root / "config" / name
        path.write_text(path.read_text().replace("config.settings'", "config.settings.production'"))
    add_pages(root)
    (root / "requirements").mkdir()
    (root / "requirements" / "base.txt").write_text(
        "Django>=5.2,<5.3\ndjango-environ>=0.11\npsycopg[binary]>=3.2\n"
    )
    (root / "requirements" / "local.txt").write_text("-r base.txt\n")
    (root / "requirements" / "production.txt").write_text("-r base.txt\ngunicorn>=23\n")
    (root / ".python-version").write_text(f"{HERE}\n")
    (root / ".gitignore").write_text(GITIGNORE)


OWN_DOCKERFILE = """\
FROM python:3.12-slim
ENV PYTHONUNBUFFERED=1 PORT=8000
RUN useradd --create-home site
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY --chown=site:site . .
USER site
RUN python manage.py collectstatic --noinput --clear
CMD ["gunicorn", "mysite.wsgi:application"]
"""

DJ_DATABASE_URL_SETTINGS = """
import dj_database_url

if "DATABASE_URL" in os.environ:
    DATABASES = {"default": dj_database_url.config(conn_max_age=500)}
    INSTALLED_APPS.append("django.contrib.postgres")
"""


def own_dockerfile_fixtures(root: Path) -> None:
    """A CMS demo's layout: one settings.py on SQLite that switches to DATABASE_URL (with
    django.contrib.postgres) when it is set, its own Dockerfile, a `load_demo` command."""
    startproject(root, "mysite")
    settings = single_file_settings(root, "mysite")
    text = settings.read_text().replace(
        "from pathlib import Path", "import os\nfrom pathlib import Path"
    )
    settings.write_text(text + DJ_DATABASE_URL_SETTINGS)
    add_pages(root)
    (root / "requirements.txt").write_text(
        "Django>=5.2,<5.3\ndj-database-url>=2.1\npsycopg[binary]>=3.2\ngunicorn>=23\n"
    )
    (root / "Dockerfile").write_text(OWN_DOCKERFILE)
    (root / ".gitignore").write_text(GITIGNORE)


def uv_project(root: Path) -> None:
    """A uv project: [project] dependencies, uv.lock made by `uv lock`."""
    startproject(root, "shop")
    single_file_settings(root, "shop")
    add_pages(root)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "shop"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        'dependencies = [\n    "Django>=5.2,<5.3",\n    "psycopg[binary]>=3.2",\n]\n\n'
        "[tool.uv]\npackage = false\n"
    )
    (root / ".python-version").write_text(f"{HERE}\n")
    (root / ".gitignore").write_text(GITIGNORE)
    lock = uv_lock(root)
    assert lock.returncode == 0, lock.stderr


def uv_lock(root: Path) -> subprocess.CompletedProcess[str]:
    return run([shutil.which("uv", path=str(DJANGO_ADMIN.parent)) or "uv", "lock"], root)


def pipenv_lock(root: Path) -> subprocess.CompletedProcess[str]:
    """`pipenv lock` with this Python, its virtual environment outside the project."""
    pipenv = shutil.which("pipenv", path=str(DJANGO_ADMIN.parent)) or "pipenv"
    return run([pipenv, "lock"], root, PIPENV_VENV_IN_PROJECT="0", PIPENV_YES="1")


def pipenv_project(root: Path) -> None:
    """A Pipenv project: Pipfile and its Pipfile.lock."""
    startproject(root, "mysite")
    single_file_settings(root, "mysite")
    add_pages(root)
    (root / "Pipfile").write_text(
        '[[source]]\nurl = "https://pypi.org/simple"\nverify_ssl = true\nname = "pypi"\n\n'
        '[packages]\ndjango = ">=5.2,<5.3"\n"psycopg[binary]" = ">=3.2"\n\n[dev-packages]\n\n'
        f'[requires]\npython_version = "{HERE}"\n'
    )
    lock = pipenv_lock(root)
    assert lock.returncode == 0, lock.stderr
    (root / ".gitignore").write_text(GITIGNORE)


def single_file(root: Path) -> None:
    """startproject's layout: mysite/settings.py on SQLite, requirements.txt."""
    startproject(root, "mysite")
    single_file_settings(root, "mysite")
    add_pages(root)
    (root / "requirements.txt").write_text("Django>=5.2,<5.3\npsycopg[binary]>=3.2\n")
    (root / ".gitignore").write_text(GITIGNORE)


@dataclass(frozen=True)
class Shape:
    build: Callable[[Path], None]
    setup: tuple[str, ...]  # the project's own setup command, as `run -- <setup>`
    # What the user fills in cloudrun.toml after init: the values init asked for (FILL-IN).
    fill: dict[str, str] = field(default_factory=dict)
    fixture_admin: bool = False  # the setup command replaces pk 1 with the fixture's admin
    settings_module: str | None = None  # what init must record, when not the only one
    secrets: tuple[str, ...] = ()  # required variables init must list as secrets


SHAPES: dict[str, Shape] = {
    "environ-settings-package": Shape(
        environ_package,
        ("seed_data",),
        fill={"DJANGO_ADMIN_URL": "admin/", "DJANGO_GCP_STORAGE_BUCKET_NAME": "demo-media"},
        settings_module="config.settings.production",
        secrets=("MAILGUN_API_KEY",),
    ),
    "own-dockerfile-fixtures": Shape(own_dockerfile_fixtures, ("load_demo",), fixture_admin=True),
    "uv": Shape(uv_project, ("seed_data", "--count", "50")),
    "pipenv": Shape(pipenv_project, ("load_demo",), fixture_admin=True),
    "single-file": Shape(single_file, ("seed_data",)),
}

# --- the walk --------------------------------------------------------------------------------

STEPS = ("init", "up", "home", "admin-login", "setup", "after-setup", "down")


@dataclass
class Report:
    shape: str
    steps: dict[str, tuple[bool, str]] = field(default_factory=dict)
    ready_seconds: float | None = None

    def record(self, step: str, ok: bool, detail: str = "") -> bool:
        self.steps[step] = (ok, detail)
        return ok

    @property
    def failure(self) -> str | None:
        for step, (ok, detail) in self.steps.items():
            if not ok:
                return f"{self.shape}: {step} failed: {detail}"
        return None


def fill_in(toml: Path, values: dict[str, str]) -> list[str]:
    """Replace the FILL-IN values init wrote with the user's; the names left unfilled."""
    text = toml.read_text()
    for name, value in values.items():
        text, count = re.subn(
            rf'^({re.escape(name)} = )"FILL-IN"', rf'\g<1>"{value}"', text, flags=re.M
        )
        assert count == 1, f"init did not ask for {name}:\n{text}"
    toml.write_text(text)
    return [
        name
        for name, value in tomllib.loads(text).get("environment_variables", {}).items()
        if value == "FILL-IN"
    ]


def admin_login(base: str, username: str, password: str) -> tuple[bool, str]:
    """Log in through /admin/login/ as a browser does: the CSRF cookie and the form's token."""
    with requests.Session() as session:
        page = session.get(base + "admin/login/", timeout=10)
        if page.status_code != 200:
            return False, f"GET /admin/login/ -> {page.status_code}"
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if token is None:
            return False, "no CSRF token in the login form"
        answer = session.post(
            base + "admin/login/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": username,
                "password": password,
                "next": "/admin/",
            },
            headers={"Referer": base + "admin/login/"},
            timeout=10,
        )
        if answer.status_code != 200 or not answer.url.rstrip("/").endswith("/admin"):
            return False, f"POST /admin/login/ -> {answer.status_code} at {answer.url}"
        if "Log out" not in answer.text:
            return False, "the admin's index does not show a logged-in user"
        return True, ""


def get(url: str) -> tuple[bool, str]:
    try:
        answer = requests.get(url, timeout=10, allow_redirects=False)
    except requests.RequestException as error:
        return False, str(error)
    return answer.status_code == 200, f"GET {url} -> {answer.status_code}"


def _out(result: subprocess.CompletedProcess[str]) -> str:
    return (result.stderr.strip() or result.stdout.strip())[-2000:]


class CheckoutUp(Up):
    """`up` in the background, on this checkout's code like `cli` (the virtual environment's
    editable install may point at another checkout)."""

    def start(self) -> CheckoutUp:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                cli_argv("up", "--port", str(self.port), *self.options),
                cwd=self.cwd,
                env={**cli_env(), "PYTHONPATH": str(REPO / "src")},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self


def walk(name: str, base: Path | None = None) -> Report:
    """Take shape ``name`` through a new user's path; stop at the first step that fails.
    The project lives in ``base`` (kept) or in a temporary directory (removed)."""
    # PostgreSQL's account (under root) must be able to enter the project's directories.
    parent = base or Path(tempfile.mkdtemp(prefix="dcr-corpus-"))
    parent.chmod(0o755)
    try:
        return _walk(SHAPES[name], Report(name), parent / name)
    finally:
        if base is None:
            shutil.rmtree(parent, ignore_errors=True)


def _walk(shape: Shape, report: Report, root: Path) -> Report:
    root.mkdir()
    shape.build(root)
    commit_all(root)
    # A user's run from a clone: init decides how to depend on django-cloudrun (a wheel).
    result = cli("init", "--yes", cwd=root, DJANGO_CLOUDRUN_DEPENDENCY="auto")
    if not report.record("init", result.returncode == 0, _out(result)):
        return report
    # The dependency init added must resolve: the user relocks, as init's next steps say.
    relock = {"uv.lock": uv_lock, "Pipfile.lock": pipenv_lock}
    for lockfile, lock_command in relock.items():
        if (root / lockfile).exists():
            lock = lock_command(root)
            if not report.record("init", lock.returncode == 0, f"relock: {_out(lock)}"):
                return report
    commit_all(root)
    written = tomllib.loads((root / "cloudrun.toml").read_text())
    chosen = written.get("settings_module")
    if shape.settings_module and not report.record(
        "init", chosen == shape.settings_module, f"settings_module {chosen!r}"
    ):
        return report
    listed = written.get("secret_environment_variables", {})
    if not report.record("init", set(shape.secrets) <= set(listed), f"secrets {listed}"):
        return report
    # The user's step after init: the values it asked for (FILL-IN) in cloudrun.toml.
    left = fill_in(root / "cloudrun.toml", shape.fill)
    if not report.record("init", not left, f"FILL-IN left: {left}"):
        return report

    port = free_port()
    up = CheckoutUp(root, port)
    start = time.monotonic()
    up.start()
    try:
        try:
            up.wait_ready(timeout=180)
        except AssertionError as error:
            report.record("up", False, str(error)[-3000:])
            return report
        report.ready_seconds = time.monotonic() - start
        report.record("up", True)
        if not report.record("home", *get(up.url)):
            return report
        password = cli("local", "secret", "superuser-password", cwd=root)
        if not report.record("admin-login", password.returncode == 0, _out(password)):
            return report
        if not report.record("admin-login", *admin_login(up.url, "admin", password.stdout.strip())):
            return report
        setup = cli("run", "--", *shape.setup, cwd=root)
        if not report.record("setup", setup.returncode == 0, _out(setup)):
            return report
        ok, detail = get(up.url)
        if ok and shape.fixture_admin:  # the fixture's admin replaced the superuser's row
            ok, detail = admin_login(up.url, "admin", DEMO_PASSWORD)
        if not report.record("after-setup", ok, detail):
            return report
        # As root, PostgreSQL runs in a directory outside the project: look there too.
        cluster = root / ".cloudrun" / "local" / "cluster"
        places = [root] + ([Path(cluster.read_text().strip())] if cluster.is_file() else [])
        down = cli("down", cwd=root)
        if not report.record("down", down.returncode == 0, _out(down)):
            return report
        if up.process is not None:
            try:
                up.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        deadline = time.monotonic() + 15
        while any(map(leftovers, places)) and time.monotonic() < deadline:
            time.sleep(0.2)
        still = [line for place in places for line in leftovers(place)]
        report.record("down", not still, f"left running: {still}")
        return report
    finally:
        if up.process is not None and up.process.poll() is None:
            up.kill()
        cli("down", cwd=root)
        cli("local", "reset", "--yes", cwd=root)


def table(reports: list[Report]) -> str:
    """The corpus table: one row per shape, pass/fail per step, time to ready."""
    header = ["shape", *STEPS, "ready (s)"]
    rows = [header]
    for report in reports:
        cells = [report.shape]
        for step in STEPS:
            ok = report.steps.get(step)
            cells.append("-" if ok is None else ("pass" if ok[0] else "FAIL"))
        cells.append("-" if report.ready_seconds is None else f"{report.ready_seconds:.1f}")
        rows.append(cells)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
