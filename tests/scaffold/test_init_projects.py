"""`init --yes` on the projects users arrive with: a production template's settings package
read with django-environ, a project with its own Dockerfile; then what `up` and deploy make
of what it wrote."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from django_cloudrun.cloud.deploy import check_rules
from django_cloudrun.config import load_config, parse_config
from django_cloudrun.config.topology import Placement, plain_environment
from django_cloudrun.local.errors import LocalError
from django_cloudrun.local.project_check import (
    check_required_variables,
    state_not_ignored,
)
from django_cloudrun.scaffold import detect_project
from django_cloudrun.scaffold.dockerfile import dockerfile_gaps
from scaffold_support import (
    OWN_DOCKERFILE,
    cli,
    commit_all,
    environ_settings,
    fresh,
    git,
    instructions,
    own_dockerfile,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The production template's project after `git init` and `init --yes`: (root, output)."""
    root = environ_settings(tmp_path_factory.mktemp("template"))
    commit_all(root)
    result = cli("init", "--yes", cwd=root)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return root, result.stdout


def test_the_production_module_is_found_although_manage_py_names_local(template):
    root, output = template
    config = tomllib.loads((root / "cloudrun.toml").read_text())
    assert config["settings_module"] == "config.settings.production"
    assert (
        "manage.py uses config.settings.local; the image, the deployment and `up` use "
        "config.settings.production" in output
    )


def test_the_image_the_service_and_the_jobs_use_the_recorded_module(template):
    root, _ = template
    env = [
        args
        for stage, keyword, args in instructions((root / "Dockerfile").read_text())
        if keyword == "ENV" and stage == "runtime"
    ]
    assert any("DJANGO_SETTINGS_MODULE=config.settings.production" in args for args in env)
    config = load_config(root / "cloudrun.toml")
    placement = Placement(db_host="/cloudsql/x", service_urls=("https://x",))
    assert plain_environment(config, placement)["DJANGO_SETTINGS_MODULE"] == (
        "config.settings.production"
    )


def test_the_settings_hook_goes_into_the_production_module(template):
    root, _ = template
    production = (root / "config" / "settings" / "production.py").read_text()
    base = (root / "config" / "settings" / "base.py").read_text()
    local = (root / "config" / "settings" / "local.py").read_text()
    assert "configure(globals())" in production
    assert "configure(" not in base and "configure(" not in local
    # INSTALLED_APPS is edited where it is defined: base, which production star-imports.
    assert '"django_cloudrun"' in base


def test_required_variables_are_written_plain_or_secret_with_where_they_are_read(template):
    root, _ = template
    text = (root / "cloudrun.toml").read_text()
    config = tomllib.loads(text)
    assert config["environment_variables"] == {
        "DJANGO_ADMIN_URL": "FILL-IN",
        "MAILGUN_DOMAIN": "FILL-IN",
        "DJANGO_GCP_STORAGE_BUCKET_NAME": "FILL-IN",
    }
    assert config["secret_environment_variables"] == {
        "MAILGUN_API_KEY": "mailgun-api-key",
        "REDIS_PASSWORD": "redis-password",
    }
    assert 'DJANGO_ADMIN_URL = "FILL-IN"  # config/settings/base.py:' in text
    # Optional reads, what django-cloudrun provides and what only local settings read: absent.
    for name in (
        "DJANGO_DEBUG",
        "DJANGO_TIME_ZONE",
        "SENTRY_ENVIRONMENT",
        "CACHE_TTL",
        "DATABASE_URL",
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "LOCAL_ONLY_VARIABLE",
    ):
        assert name not in text


def test_validate_names_each_placeholder_and_deploy_refuses_them(template):
    root, _ = template
    result = cli("validate", cwd=root)
    assert result.returncode == 0, result.stderr
    for name in ("DJANGO_ADMIN_URL", "MAILGUN_DOMAIN", "DJANGO_GCP_STORAGE_BUCKET_NAME"):
        assert f"environment_variables.{name}: still 'FILL-IN'" in result.stderr

    class Target:
        config = load_config(root / "cloudrun.toml")

    with pytest.raises(
        Exception,
        match="environment_variables.DJANGO_ADMIN_URL, "
        "environment_variables.MAILGUN_DOMAIN, .*still 'FILL-IN'",
    ):
        check_rules(Target())  # type: ignore[arg-type]


def test_the_image_build_loads_the_settings_with_placeholders(template):
    root, _ = template
    run = next(
        args
        for stage, keyword, args in instructions((root / "Dockerfile").read_text())
        if keyword == "RUN" and "collectstatic" in args
    )
    for name in (
        "DATABASE_URL=postgres://",
        "DJANGO_ADMIN_URL=",
        "MAILGUN_API_KEY=",
        "REDIS_PASSWORD=",
    ):
        assert name in run


def test_up_names_every_missing_required_variable_at_once(template):
    root, _ = template
    config = load_config(root / "cloudrun.toml")
    check_required_variables(root, config)  # all given by what init wrote
    bare = parse_config('settings_module = "config.settings.production"\n')
    with pytest.raises(LocalError) as raised:
        check_required_variables(root, bare)
    message = raised.value.message
    assert message.startswith(
        "config.settings.production requires DJANGO_ADMIN_URL (config/settings/base.py:"
    )
    for name in (
        "MAILGUN_API_KEY",
        "MAILGUN_DOMAIN",
        "DJANGO_GCP_STORAGE_BUCKET_NAME",
        "REDIS_PASSWORD",
    ):
        assert name in message
    assert "[secret_environment_variables]" in message and "\n" not in message


def test_up_refuses_before_starting_anything(template, tmp_path):
    root, _ = template
    config = root / "elsewhere.toml"
    config.write_text('settings_module = "config.settings.production"\n')
    result = cli("up", "--config", str(config), cwd=root)
    assert result.returncode != 0
    assert "requires DJANGO_ADMIN_URL" in result.stderr
    assert not (root / ".cloudrun").exists()
    config.unlink()


def test_settings_option_overrides_detection(tmp_path):
    root = environ_settings(tmp_path / "project")
    project = detect_project(root, settings="config.settings.local")
    assert project.settings_module == "config.settings.local"


def test_an_existing_cloudrun_toml_names_the_module(tmp_path):
    root = environ_settings(tmp_path / "project")
    (root / "cloudrun.toml").write_text('settings_module = "config.settings.local"\n')
    assert detect_project(root).settings_module == "config.settings.local"


def test_a_module_named_in_the_procfile_or_env_is_a_candidate(tmp_path):
    root = fresh(tmp_path / "project")
    (root / "mysite" / "settings_live.py").write_text("from .settings import *  # noqa\n")
    (root / "mysite" / "settings_dev.py").write_text("from .settings import *  # noqa\n")
    manage = root / "manage.py"
    manage.write_text(manage.read_text().replace("mysite.settings'", "mysite.settings_dev'"))
    (root / "Procfile").write_text(
        "web: DJANGO_SETTINGS_MODULE=mysite.settings_live gunicorn mysite.wsgi\n"
    )
    assert detect_project(root).settings_module == "mysite.settings_live"


def test_a_single_file_settings_project_keeps_its_module(tmp_path):
    root = fresh(tmp_path / "project")
    (root / "mysite" / "settings.py").write_text(
        (root / "mysite" / "settings.py").read_text()
        + '\nimport os\nAPI_TOKEN = os.environ["PAYMENTS_API_TOKEN"]\n'
        'COLOR = os.environ["SITE_COLOR"]\nOPTIONAL = os.environ.get("OPTIONAL_ONE")\n'
    )
    commit_all(root)
    result = cli("init", "--yes", cwd=root)
    assert result.returncode == 0, result.stderr
    config = tomllib.loads((root / "cloudrun.toml").read_text())
    assert config["settings_module"] == "mysite.settings"
    assert config["environment_variables"] == {"SITE_COLOR": "FILL-IN"}
    assert config["secret_environment_variables"] == {"PAYMENTS_API_TOKEN": "payments-api-token"}


def test_up_warns_when_git_does_not_ignore_the_state_directory(tmp_path):
    root = fresh(tmp_path / "project")
    assert state_not_ignored(root) is None  # not a git work tree
    git(root, "init", "-q")
    assert "git does not ignore .cloudrun/" in (state_not_ignored(root) or "")
    (root / ".gitignore").write_text(".cloudrun/\n")
    assert state_not_ignored(root) is None


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A project with its own Dockerfile after `git init` and `init --yes`: (root, output)."""
    root = own_dockerfile(tmp_path_factory.mktemp("own"))
    commit_all(root)
    result = cli("init", "--yes", cwd=root)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return root, result.stdout


def test_a_projects_dockerfile_is_kept_and_what_it_lacks_is_named(own):
    root, output = own
    assert (root / "Dockerfile").read_text() == OWN_DOCKERFILE
    for gap in (
        "no user with UID 2000",
        "no CMD that runs `python manage.py cloudrun_serve`",
        "no server on port 8080",
        "no collectstatic",
    ):
        assert f"note: Dockerfile (yours, kept) has {gap}" in output
    assert "run `init --force`: it replaces yours" in output


def test_the_dockerfile_init_writes_has_none_of_those_gaps(template):
    root, _ = template
    assert dockerfile_gaps((root / "Dockerfile").read_text()) == []


def test_the_state_directory_is_ignored_by_git_and_docker(own):
    root, _ = own
    assert ".cloudrun/" in (root / ".gitignore").read_text().splitlines()
    assert ".cloudrun" in (root / ".dockerignore").read_text().splitlines()
    assert state_not_ignored(root) is None


def test_an_existing_gitignore_and_dockerignore_get_the_state_directory(tmp_path):
    root = fresh(tmp_path / "project")
    (root / ".gitignore").write_text("*.pyc")  # no final newline
    (root / ".dockerignore").write_text(".git\n")
    commit_all(root)
    result = cli("init", "--yes", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (root / ".gitignore").read_text().splitlines()[0] == "*.pyc"
    assert (root / ".gitignore").read_text().endswith("\n.cloudrun/\n")
    assert (root / ".dockerignore").read_text().startswith(".git\n")
    assert (root / ".dockerignore").read_text().endswith("\n.cloudrun\n")
    again = cli("init", "--yes", cwd=root)
    assert "Nothing to do" in again.stdout, again.stdout


def test_build_dockerfile_names_the_file_every_build_uses(tmp_path):
    from django_cloudrun.scaffold.ci import cloudbuild, workflow

    config = parse_config('[build]\ndockerfile = "docker/cloudrun.Dockerfile"\n')
    assert '"--file", "docker/cloudrun.Dockerfile"' in cloudbuild(config)
    assert "docker build --file docker/cloudrun.Dockerfile" in workflow(config)
    assert parse_config("").build.dockerfile == "Dockerfile"
    for bad in ("/etc/Dockerfile", "../Dockerfile", "a/../../b"):
        with pytest.raises(Exception, match="build.dockerfile: must be a path relative"):
            parse_config(f'[build]\ndockerfile = "{bad}"\n')
