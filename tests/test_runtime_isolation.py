"""The code that runs in the container never imports deploy-time libraries."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import django_cloudrun
from pg import EXAMPLE, REPO

DEPLOY_TIME = ("config", "infra", "cloud", "local", "scaffold", "cli", "commands")
FORBIDDEN = ("pulumi", "pulumi_gcp", "pulumi_random", "typer", "rich", "pydantic", "cronsim")


def runtime_modules() -> list[str]:
    names = []
    for module in pkgutil.walk_packages(django_cloudrun.__path__, "django_cloudrun."):
        top = module.name.split(".")[1]
        if top not in DEPLOY_TIME:
            names.append(module.name)
    return names


def test_runtime_modules_are_found():
    modules = runtime_modules()
    assert "django_cloudrun.settings" in modules
    assert "django_cloudrun.management.commands.cloudrun_serve" in modules
    assert not any(name.startswith("django_cloudrun.infra") for name in modules)


def test_importing_every_runtime_module_loads_no_deploy_time_library():
    script = f"""
import importlib, json, os, sys
sys.path[:0] = [{str(EXAMPLE)!r}, {str(REPO / "tests")!r}]
os.environ["DJANGO_SETTINGS_MODULE"] = "testing_settings"
import django
django.setup()
for name in {runtime_modules()!r}:
    importlib.import_module(name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {FORBIDDEN!r})))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=EXAMPLE, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
