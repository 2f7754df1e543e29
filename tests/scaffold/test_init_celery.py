"""init finds the project's Celery app and names it in [worker], the worker left disabled."""

from __future__ import annotations

import tomllib
from pathlib import Path

from django_cloudrun.scaffold import detect_project
from django_cloudrun.scaffold.plan import InitChoices, plan_init
from scaffold_support import settings_package, startproject

# The layout Celery's "First steps with Django" gives a project.
CELERY_PY = """\
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

app = Celery("mysite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
"""
INIT_IMPORTS_IT = "from .celery import app as celery_app\n\n__all__ = ('celery_app',)\n"


def written_toml(root: Path) -> tuple[str, dict]:
    plan = plan_init(detect_project(root), InitChoices())
    change = next(c for c in plan.changes if c.path == "cloudrun.toml")
    return change.new, tomllib.loads(change.new)


def test_celery_py_next_to_the_settings_is_the_worker_app(tmp_path):
    root = startproject(tmp_path / "site")
    (root / "mysite" / "celery.py").write_text(CELERY_PY)
    (root / "mysite" / "__init__.py").write_text(INIT_IMPORTS_IT)
    text, toml = written_toml(root)
    assert toml["worker"] == {"app": "mysite.celery"}
    assert "\n# enable_worker = false\n" in text
    assert plan_init(detect_project(root), InitChoices()).config.worker.enable_worker is False


def test_celery_app_in_the_package_init_of_a_settings_package(tmp_path):
    root = settings_package(tmp_path / "site")
    (root / "mysite" / "__init__.py").write_text("import celery\n\napp = celery.Celery('mysite')\n")
    assert detect_project(root).settings_module == "mysite.settings.production"
    _, toml = written_toml(root)
    assert toml["worker"] == {"app": "mysite"}


def test_no_celery_app_no_worker_table(tmp_path):
    root = startproject(tmp_path / "site")
    (root / "mysite" / "celery.py").write_text("# nothing here yet\n")
    (root / "mysite" / "__init__.py").write_text("app = object()\n")
    text, toml = written_toml(root)
    assert "worker" not in toml and "[worker]" not in text
