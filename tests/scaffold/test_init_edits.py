"""The edits init makes to files people wrote: settings, dependency files, and what it reads
from them (settings module, manager, Python version). Each edit keeps the rest byte for byte."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from django_cloudrun.scaffold import ScaffoldError, detect_project
from django_cloudrun.scaffold.depfiles import add_dependency
from django_cloudrun.scaffold.managers import detect_manager
from django_cloudrun.scaffold.plan import Action, InitChoices, plan_init
from django_cloudrun.scaffold.pyversion import detect_python, python_from_spec
from django_cloudrun.scaffold.settings_edit import SettingsFile, add_app, add_configure
from scaffold_support import fresh

LINE = "from django_cloudrun.settings import configure; configure(globals())  # noqa: E402, E702"


def settings(tmp_path: Path, text: str, name: str = "settings.py") -> SettingsFile:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return SettingsFile.read(f"mysite.{name[:-3]}", path)


def app_added(tmp_path: Path, text: str) -> str:
    found = add_app([settings(tmp_path, text)])
    assert found is not None
    return found[1]


def test_app_goes_last_in_a_multiline_list_keeping_quotes_and_comments(tmp_path: Path):
    text = "INSTALLED_APPS = [\n    'a',  # first\n    'b'  # no comma\n]\nX = 1\n"
    assert app_added(tmp_path, text) == (
        "INSTALLED_APPS = [\n    'a',  # first\n    'b',  # no comma\n    'django_cloudrun',\n]"
        "\nX = 1\n"
    )


def test_app_goes_into_a_one_line_tuple_and_an_empty_list(tmp_path: Path):
    assert app_added(tmp_path, 'INSTALLED_APPS = ("a", "b")\n') == (
        'INSTALLED_APPS = ("a", "b", "django_cloudrun")\n'
    )
    assert app_added(tmp_path, "INSTALLED_APPS = []\n") == 'INSTALLED_APPS = ["django_cloudrun"]\n'


def test_app_goes_into_third_party_apps_when_installed_apps_is_a_sum(tmp_path: Path):
    text = (
        'DJANGO_APPS = ["django.contrib.admin"]\nTHIRD_PARTY_APPS = [\n    "rest_framework",\n]\n'
        'LOCAL_APPS = ["shop"]\nINSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS\n'
    )
    assert '    "rest_framework",\n    "django_cloudrun",\n]' in app_added(tmp_path, text)


def test_app_edit_keeps_windows_line_endings_and_unicode(tmp_path: Path):
    text = '# Réglages\r\nINSTALLED_APPS = [\r\n    "a",\r\n]\r\n'
    assert app_added(tmp_path, text) == (
        '# Réglages\r\nINSTALLED_APPS = [\r\n    "a",\r\n    "django_cloudrun",\r\n]\r\n'
    )


def test_installed_apps_built_by_a_function_is_left_alone(tmp_path: Path):
    assert add_app([settings(tmp_path, "INSTALLED_APPS = list(apps())\n")]) is None


def test_configure_is_appended_once(tmp_path: Path):
    file = settings(tmp_path, "DEBUG = True")
    new = add_configure(file)
    assert new is not None and new.startswith("DEBUG = True\n\n# django-cloudrun:")
    assert new.endswith(LINE + "\n")
    ast.parse(new)
    assert add_configure(settings(tmp_path, new)) is None


def test_settings_that_do_not_parse_are_refused(tmp_path: Path):
    with pytest.raises(ScaffoldError, match="cannot be read as Python source"):
        settings(tmp_path, "INSTALLED_APPS = [\n")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "requirements",
            "Django==5.2\r\ngunicorn",
            "Django==5.2\r\ngunicorn\r\ndjango-cloudrun>=0.1.0\r\n",
        ),
        ("requirements", "django_cloudrun[deploy]==0.1\n", None),
        (
            "uv",
            '[project]\nname = "x"\ndependencies = []\n',
            '[project]\nname = "x"\ndependencies = ["django-cloudrun>=0.1.0"]\n',
        ),
        (
            "uv",
            '[project]\nname = "x"\n\n[tool.uv]\n',
            '[project]\nname = "x"\ndependencies = ["django-cloudrun>=0.1.0"]\n\n[tool.uv]\n',
        ),
        (
            "poetry",
            '[tool.poetry.dependencies]\npython = "^3.12"  # floor\n\n[build-system]\n',
            '[tool.poetry.dependencies]\npython = "^3.12"  # floor\n'
            'django-cloudrun = ">=0.1.0"\n\n[build-system]\n',
        ),
        ("pipenv", '[packages]\nDjango-CloudRun = "*"\n', None),
    ],
)
def test_dependency_edits(name: str, text: str, expected: str | None, tmp_path: Path):
    files = {
        "requirements": "requirements.txt",
        "uv": "uv.lock",
        "poetry": "poetry.lock",
        "pipenv": "Pipfile.lock",
    }
    (tmp_path / files[name]).write_text("")
    if name == "pipenv":
        (tmp_path / "Pipfile").write_text(text)
    manager = detect_manager(tmp_path)
    assert manager.name == name
    assert add_dependency(manager, text) == expected


def test_arrays_with_multiline_strings_are_scanned_right(tmp_path: Path):
    (tmp_path / "uv.lock").write_text("")
    text = '[project]\nname = "x"\ndependencies = [\n  """a]\n#b""",\n]\n'
    assert add_dependency(detect_manager(tmp_path), text) == (
        '[project]\nname = "x"\ndependencies = [\n  """a]\n#b""",\n  "django-cloudrun>=0.1.0",\n]\n'
    )


def test_a_dependency_edit_that_would_change_more_is_refused(tmp_path: Path):
    """A header-like line inside a string fools the text edit; the re-parse catches it."""
    (tmp_path / "uv.lock").write_text("")
    text = '[project]\nname = "x"\ndescription = """\n[tool.fake]\n"""\n'
    with pytest.raises(ScaffoldError, match='add "django-cloudrun>=0.1.0" to its dependencies'):
        add_dependency(detect_manager(tmp_path), text)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({".python-version": "3.13.1\n"}, ("3.13", ".python-version")),
        ({"runtime.txt": "python-3.12.7\n"}, ("3.12", "runtime.txt")),
        (
            {"pyproject.toml": '[project]\nrequires-python = ">=3.10,<3.13"\n'},
            ("3.11", "pyproject.toml"),
        ),
        (
            {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.12"\n'},
            ("3.12", "pyproject.toml"),
        ),
        ({"Pipfile": '[requires]\npython_version = "3.13"\n'}, ("3.13", "Pipfile")),
    ],
)
def test_python_version_comes_from_the_project(files: dict[str, str], expected, tmp_path: Path):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert detect_python(tmp_path) == expected


def test_python_outside_the_supported_range_is_refused():
    with pytest.raises(ScaffoldError, match="admits none of the Python versions"):
        python_from_spec(">=3.8,<3.11")
    assert python_from_spec(">3.11") == "3.12"
    assert python_from_spec("~=3.12") == "3.12"


def test_poetry_without_a_lock_file_is_refused(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[tool.poetry]\nname = "x"\n')
    with pytest.raises(ScaffoldError, match="run `poetry lock`"):
        detect_manager(tmp_path)


def test_settings_module_must_exist(tmp_path: Path):
    (tmp_path / "manage.py").write_text(
        'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "gone.settings")\n'
    )
    with pytest.raises(ScaffoldError, match="settings module 'gone.settings' not found"):
        detect_project(tmp_path)


def test_static_on_cloud_storage_is_not_collected_into_the_image(tmp_path: Path):
    (tmp_path / "manage.py").write_text(
        'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.settings")\n'
    )
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "settings.py").write_text('WSGI_APPLICATION = "site.wsgi.application"\n')
    (tmp_path / "cloudrun.toml").write_text(
        'custom_domains = ["shop.example.com"]\n[static]\nmode = "gcs-cdn"\n'
    )
    plan = plan_init(detect_project(tmp_path), InitChoices())
    dockerfile = next(c for c in plan.changes if c.path == "Dockerfile").new
    assert "collectstatic" not in dockerfile and "CLOUDRUN_STATIC_COLLECTED" not in dockerfile
    assert plan.changes[0].action is Action.SAME  # cloudrun.toml is the project's
    assert any("WSGI_APPLICATION" in note for note in plan.notes)  # site/wsgi.py is missing


def test_wsgi_py_that_differs_from_manage_py_is_pointed_out(tmp_path: Path):
    root = fresh(tmp_path / "project")
    (root / "mysite" / "settings_prod.py").write_text("from .settings import *  # noqa\n")
    wsgi = root / "mysite" / "wsgi.py"
    wsgi.write_text(
        wsgi.read_text().replace("mysite.settings", "mysite.settings_prod")
        + "application = Sentry(application)  # noqa: F821\n"
    )
    notes = detect_project(root).notes
    assert notes == (
        "mysite/wsgi.py uses mysite.settings_prod while manage.py uses mysite.settings; the "
        "image runs manage.py with mysite.settings (pass --settings mysite.settings_prod to "
        "use the other one)",
        "mysite/wsgi.py wraps its WSGI application; cloudrun_serve serves Django's own "
        "handler, so move such middleware into MIDDLEWARE",
    )
    assert detect_project(root, settings="mysite.settings_prod").settings_module == (
        "mysite.settings_prod"
    )
    with pytest.raises(ScaffoldError, match="not a dotted module name"):
        detect_project(root, settings="../elsewhere")
