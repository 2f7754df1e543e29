"""The django-cloudrun console script: --version and validate, as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from django_cloudrun import __version__
from django_cloudrun.cli import app

SCRIPT = Path(sys.executable).with_name("django-cloudrun")

GOOD = """
tenant_deployment_id = "shop"
[environment_variables]
COLOR = "blue"
STRIPE_API_KEY = "sk_live_do_not_print"
[environments.staging]
tenant_deployment_id = "shop-stg"
"""
BAD = 'region = "mars"\nmx_instance_count = 3\n'
BAD_LINES = [
    "region: must be a Cloud Run region such as us-central1, got 'mars'",
    "mx_instance_count: unknown key; did you mean max_instance_count?",
]


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1", **env},
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "cloudrun.toml").write_text(GOOD)
    return tmp_path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_console_script_is_installed() -> None:
    assert SCRIPT.exists(), f"{SCRIPT} missing: pip install -e '.[dev]'"


def test_version_prints_the_package_version(tmp_path: Path) -> None:
    result = run("--version", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, f"django-cloudrun {__version__}\n")


def test_module_entry_point_works_too(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "django_cloudrun.cli", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (0, f"django-cloudrun {__version__}\n")


def test_validate_reads_cloudrun_toml_in_the_current_directory(project: Path) -> None:
    result = run("validate", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "cloudrun.toml is valid" in result.stdout
    assert 'service_name = "shop-django"' in result.stdout
    assert 'COLOR = "blue"' in result.stdout


def test_validate_redacts_secret_looking_values_and_warns(project: Path) -> None:
    result = run("validate", cwd=project)
    assert 'STRIPE_API_KEY = "[redacted]"' in result.stdout
    assert "sk_live_do_not_print" not in result.stdout + result.stderr
    assert result.stderr.startswith(
        "warning: environment_variables.STRIPE_API_KEY: looks like a secret; "
        "move it to secret_environment_variables"
    )


def test_validate_json_is_the_redacted_dump(project: Path) -> None:
    result = run("validate", "--json", "--env", "staging", cwd=project)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["service_name"] == "shop-stg-django"
    assert data["environment_variables"] == {"COLOR": "blue", "STRIPE_API_KEY": "[redacted]"}
    assert data["max_instance_count"] == 3


def test_bad_config_exits_2_with_one_line_per_problem_on_stderr(tmp_path: Path) -> None:
    (tmp_path / "cloudrun.toml").write_text(BAD)
    result = run("validate", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [*BAD_LINES, "cloudrun.toml: 2 problems"]


def test_bad_config_never_shows_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "cloudrun.toml").write_text("max_instance_count = = 3\n")
    result = run("validate", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == ("cloudrun.toml: line 1, column 22: invalid TOML: Invalid value\n")
    assert "Traceback" not in result.stderr


def test_errors_stay_on_one_line_in_a_narrow_terminal(tmp_path: Path) -> None:
    (tmp_path / "cloudrun.toml").write_text(BAD)
    result = run("validate", cwd=tmp_path, COLUMNS="30")
    assert result.stderr.splitlines()[:2] == BAD_LINES


def test_errors_are_red_when_colour_is_on(tmp_path: Path) -> None:
    (tmp_path / "cloudrun.toml").write_text(BAD)
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    result = subprocess.run(
        [str(SCRIPT), "validate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "FORCE_COLOR": "1", "TERM": "xterm"},
    )
    assert f"\x1b[31m{BAD_LINES[0]}\x1b[0m" in result.stderr


def test_missing_config_exits_2_naming_the_path(tmp_path: Path) -> None:
    result = run("validate", "--config", "deploy/cloudrun.toml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "deploy/cloudrun.toml: no such file; create it with `django-cloudrun init` or pass --config"
    ]


def test_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    result = run("validate", "--bogus", cwd=tmp_path)
    assert result.returncode == 2
    assert "No such option" in result.stderr


# The same behaviours in-process, through Typer's runner.


def test_runner_validate_with_config_option(runner: CliRunner, project: Path) -> None:
    result = runner.invoke(app, ["validate", "--config", str(project / "cloudrun.toml")])
    assert result.exit_code == 0, result.output
    assert 'service_name = "shop-django"' in result.stdout


def test_runner_config_path_from_environment_variable(runner: CliRunner, project: Path) -> None:
    result = runner.invoke(
        app,
        ["validate", "--json"],
        env={"DJANGO_CLOUDRUN_CONFIG": str(project / "cloudrun.toml")},
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["tenant_deployment_id"] == "shop"


def test_runner_env_option_selects_the_environment(runner: CliRunner, project: Path) -> None:
    config = str(project / "cloudrun.toml")
    result = runner.invoke(app, ["validate", "-c", config, "-e", "staging"])
    assert result.exit_code == 0, result.output
    assert "(environment: staging)" in result.stdout
    assert 'service_name = "shop-stg-django"' in result.stdout


def test_runner_unknown_environment_exits_2(runner: CliRunner, project: Path) -> None:
    config = str(project / "cloudrun.toml")
    result = runner.invoke(app, ["validate", "-c", config, "--env", "prod"])
    assert result.exit_code == 2
    assert result.stderr == "environments.prod: not defined; available: staging\n"
    assert result.stdout == ""


def test_runner_bad_config_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "cloudrun.toml"
    path.write_text(BAD)
    result = runner.invoke(app, ["validate", "--config", str(path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[:2] == BAD_LINES
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_runner_json_output_stays_parseable_when_warning(runner: CliRunner, project: Path) -> None:
    result = runner.invoke(app, ["validate", "--json", "-c", str(project / "cloudrun.toml")])
    assert json.loads(result.stdout)["environment_variables"]["STRIPE_API_KEY"] == "[redacted]"
    assert "looks like a secret" in result.stderr


def test_runner_no_arguments_shows_help(runner: CliRunner) -> None:
    result = runner.invoke(app, [])
    assert "validate" in result.output
    assert "--version" in result.output


@pytest.mark.parametrize("command", ["run", "validate", "up", "plan"])
def test_help_shows_bracketed_words_as_written_and_no_value_on_flags(
    command: str, tmp_path: Path
) -> None:
    result = run(command, "--help", cwd=tmp_path, COLUMNS="80")
    assert result.returncode == 0, result.stderr
    assert "<bool>" not in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    if command == "run":
        assert "[[cron]]" in result.stdout
