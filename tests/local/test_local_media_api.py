"""media.mode api: uploads go to a local GCS emulator and come back through signed URLs."""

from __future__ import annotations

import pytest
import requests

from served import free_port
from upstack import cli, copy_example, leftovers, remove_copy

pytestmark = pytest.mark.slow

API_ENV = '\n[environments.api.media]\nmode = "api"\n'
SAVE = (
    "from django.core.files.base import ContentFile; "
    "from django.core.files.storage import default_storage as s; "
    "print(s.save('notes/hello.txt', ContentFile(b'kept by the emulator')))"
)
SIGN = "from django.core.files.storage import default_storage as s; print(s.url({name!r}))"


@pytest.fixture
def project():
    path = copy_example(API_ENV)
    yield path
    remove_copy(path)


def _up(project):
    started = cli(project, "up", "--env", "api", "--detach", "--port", str(free_port()))
    assert started.returncode == 0, started.stderr


def _shell(project, code: str) -> str:
    result = cli(project, "run", "--env", "api", "--", "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_upload_is_served_by_signed_url_and_survives_a_restart(project):
    _up(project)
    name = _shell(project, SAVE)
    url = _shell(project, SIGN.format(name=name))
    assert "X-Goog-Signature=" in url
    assert requests.get(url, timeout=5).content == b"kept by the emulator"
    assert cli(project, "down", "--env", "api").returncode == 0

    _up(project)
    again = _shell(project, SIGN.format(name=name))
    assert requests.get(again, timeout=5).content == b"kept by the emulator"
    assert cli(project, "down", "--env", "api").returncode == 0
    assert not leftovers(project)
