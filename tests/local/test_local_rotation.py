"""`rotate secret-key` and `rotate db-password` under a running `up` with load: no request
fails, the admin's session survives, the old database password is refused.

One `up` is shared by the module, the tests run in file order. Load is bounded: two
clients on the loopback, each a new connection per request, as a front end would open.
The figures (requests served and failed, seconds per rotation) are printed (pytest -s).
"""

from __future__ import annotations

import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import requests

from django_cloudrun.config import load_config
from django_cloudrun.local import layout_for
from django_cloudrun.local.rotation import retired_keys
from django_cloudrun.local.secrets import read_secrets
from served import free_port
from upstack import Up, cli, cli_argv, cli_env, copy_example, remove_copy

pytestmark = pytest.mark.slow

CLIENTS = 2
PAUSE = 0.005  # between one client's requests: bounded load on a shared machine


@pytest.fixture(scope="module")
def stack():
    project = copy_example()
    up = Up(project, free_port())
    up.start()
    up.wait_ready()
    yield up
    up.kill()
    remove_copy(project)


@dataclass
class Load:
    url: str
    served: int = 0
    failed: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def _client(self) -> None:
        while not self.stop.is_set():
            try:
                status = requests.get(self.url, timeout=15).status_code
            except requests.RequestException as error:
                self.failed.append(type(error).__name__)
            else:
                if status == 200:
                    self.served += 1
                else:
                    self.failed.append(str(status))
            time.sleep(PAUSE)

    def __enter__(self) -> Load:
        self.threads = [threading.Thread(target=self._client) for _ in range(CLIENTS)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


def admin_login(up: Up) -> requests.Session:
    session = requests.Session()
    form = session.get(up.url + "admin/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert token, form.text[:300]
    password = cli(up.project, "local", "secret", "superuser-password").stdout.strip()
    fields = {"username": "admin", "password": password, "csrfmiddlewaretoken": token[1],
              "next": "/admin/"}  # fmt: skip
    login = session.post(up.url + "admin/login/", data=fields, timeout=10,
                         headers={"Referer": up.url + "admin/login/"}, allow_redirects=False)  # fmt: skip
    assert login.status_code == 302, login.text[:300]
    return session


def logged_in(session: requests.Session, up: Up) -> bool:
    page = session.get(up.url + "admin/", timeout=10, allow_redirects=False)
    return page.status_code == 200 and "Site administration" in page.text


def secrets_of(up: Up) -> dict[str, str]:
    config = load_config(up.project / "cloudrun.toml")
    return read_secrets(layout_for(up.project, config).secrets)


def web_environment(up: Up) -> dict[str, str]:
    raw = Path(f"/proc/{up.component_pid('web')}/environ").read_bytes()
    return dict(entry.decode().split("=", 1) for entry in raw.split(b"\0") if entry)


def rotate(up: Up) -> float:
    start = time.monotonic()
    result = cli(up.project, "rotate", "secret-key")
    assert result.returncode == 0, result.stdout + result.stderr
    return time.monotonic() - start


def test_rotating_the_secret_key_twice_under_load_fails_no_request(stack):
    session = admin_login(stack)
    assert logged_in(session, stack)
    first_key = secrets_of(stack)["secret-key"]
    first_web = stack.component_pid("web")
    with Load(stack.url) as load:
        time.sleep(1)
        seconds = [rotate(stack), rotate(stack)]
        time.sleep(1)
    print(f"\nrotate secret-key x2 under load: {load.served} served, {len(load.failed)} "
          f"failed, {seconds[0]:.1f} s and {seconds[1]:.1f} s")  # fmt: skip
    assert load.failed == [] and load.served > 50
    assert stack.component_pid("web") != first_web
    environment = web_environment(stack)
    values = secrets_of(stack)
    assert environment["SECRET_KEY"] == values["secret-key"] != first_key
    fallbacks = environment["SECRET_KEY_FALLBACKS"].split(",")
    assert fallbacks[0] == first_key and len(fallbacks) == 2
    assert logged_in(session, stack)  # signed by the first key, two rotations ago
    assert (layout_for(stack.project, load_config(stack.project / "cloudrun.toml"))
            .secrets.stat().st_mode & 0o777) == 0o600  # fmt: skip


def test_an_interrupted_rotation_leaves_a_working_stack_and_a_rerun_completes_it(stack):
    session = admin_login(stack)
    before = secrets_of(stack)["secret-key"]
    web = stack.component_pid("web")
    with Load(stack.url) as load:
        rotation = subprocess.Popen(cli_argv("rotate", "secret-key"), cwd=stack.project,
                                    env=cli_env(), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 30
        while secrets_of(stack).get("secret-key", before) == before:
            assert time.monotonic() < deadline and rotation.poll() is None
            time.sleep(0.005)
        rotation.send_signal(signal.SIGKILL)  # the new key is written, the move may not be
        rotation.wait()
        stack.wait_until(lambda s: s["components"]["web"]["state"] == "ready", what="web ready")
        assert requests.get(stack.url, timeout=10).status_code == 200
        seconds = rotate(stack)
        time.sleep(1)
    print(f"\ninterrupted rotation and rerun under load: {load.served} served, "
          f"{len(load.failed)} failed, rerun {seconds:.1f} s")  # fmt: skip
    assert load.failed == []
    assert stack.component_pid("web") != web
    assert web_environment(stack)["SECRET_KEY"] == secrets_of(stack)["secret-key"]
    retired = [key.value for key in retired_keys(secrets_of(stack))]
    assert before in retired
    assert logged_in(session, stack)


def socket_dir(up: Up) -> str:
    return str(layout_for(up.project, load_config(up.project / "cloudrun.toml")).socket_dir)


def refused(up: Up, login: str, password: str) -> bool:
    try:
        psycopg.connect(host=socket_dir(up), user=login, password=password, dbname="django",
                        connect_timeout=5).close()  # fmt: skip
    except psycopg.OperationalError:
        return True
    return False


def rotate_db(up: Up) -> tuple[float, str]:
    start = time.monotonic()
    result = cli(up.project, "rotate", "db-password")
    assert result.returncode == 0, result.stdout + result.stderr
    return time.monotonic() - start, result.stdout


def test_rotating_the_database_password_twice_under_load_fails_no_request(stack):
    session = admin_login(stack)
    before = secrets_of(stack)
    with Load(stack.url) as load:
        time.sleep(1)
        first_seconds, _ = rotate_db(stack)
        middle = secrets_of(stack)
        second_seconds, _ = rotate_db(stack)
        time.sleep(1)
    print(f"\nrotate db-password x2 under load: {load.served} served, {len(load.failed)} "
          f"failed, {first_seconds:.1f} s and {second_seconds:.1f} s")  # fmt: skip
    assert load.failed == [] and load.served > 50
    after = secrets_of(stack)
    environment = web_environment(stack)
    assert environment["DB_USER"] == after["db-user"] != middle["db-user"]
    assert environment["DB_PASSWORD"] == after["db-password"] != before["db-password"]
    assert "db-user-retiring" not in after
    assert refused(stack, middle["db-user"], middle["db-password"])  # retired by the second
    assert refused(stack, before.get("db-user", "django"), before["db-password"])
    assert not refused(stack, after["db-user"], after["db-password"])
    assert logged_in(session, stack)


def test_an_interrupted_database_rotation_is_finished_by_the_next_run(stack):
    before = secrets_of(stack)
    with Load(stack.url) as load:
        rotation = subprocess.Popen(cli_argv("rotate", "db-password"), cwd=stack.project,
                                    env=cli_env(), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 30
        while "db-user-retiring" not in secrets_of(stack):
            assert time.monotonic() < deadline and rotation.poll() is None
            time.sleep(0.005)
        rotation.send_signal(signal.SIGKILL)  # the new login is written, the old one alive
        rotation.wait()
        stack.wait_until(lambda s: s["components"]["web"]["state"] == "ready", what="web ready")
        assert requests.get(stack.url, timeout=10).status_code == 200
        seconds, output = rotate_db(stack)
        time.sleep(1)
    print(f"\ninterrupted db-password rotation and rerun under load: {load.served} served, "
          f"{len(load.failed)} failed, rerun {seconds:.1f} s")  # fmt: skip
    assert load.failed == []
    assert output.startswith("finished the interrupted rotation")
    after = secrets_of(stack)
    assert after["db-user"] != before["db-user"] and "db-user-retiring" not in after
    assert web_environment(stack)["DB_USER"] == after["db-user"]
    assert refused(stack, before["db-user"], before["db-password"])
