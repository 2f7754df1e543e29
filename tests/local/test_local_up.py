"""`django-cloudrun up` end to end on a copy of the example project, as a user runs it.

One `up` is shared by the module; the tests run in file order and the last two stop it and
start it again.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import requests
from playwright.sync_api import sync_playwright

from django_cloudrun import contract
from django_cloudrun.config import load_config
from django_cloudrun.config.topology import JOBS
from django_cloudrun.local import layout_for
from django_cloudrun.local.environment import PASSTHROUGH, RUNNER, local_placement, service_platform
from served import alive, free_port
from upstack import Up, cli, copy_example, leftovers, remove_copy, service_variable_names

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
ITEM_NAME = "Uploaded from Chromium"
UPLOAD = b"media that outlives the process\n"


@pytest.fixture(scope="module")
def stack():
    project = copy_example()
    up = Up(project, free_port(), "--liveness-period", "0.5", "--liveness-failures", "2")
    up.start()
    up.cold_seconds = up.wait_ready()
    up.shared = {}
    yield up
    up.kill()
    remove_copy(project)


def test_startup_and_liveness_probes_answer_200(stack):
    assert requests.get(stack.url + "health/", timeout=5).status_code == 200
    assert requests.get(stack.url + "health/live", timeout=5).status_code == 200


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on ``port``, from /proc/net/tcp{,6}."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_the_web_service_listens_on_this_machine_only(stack):
    assert listening_addresses(stack.port) == {"0100007F"}  # 127.0.0.1


def test_jobs_ran_in_topology_order_before_the_web_service(stack):
    lines = stack.output().splitlines()
    started = [name for line in lines for name in [line.split(" ", 1)[1].split(":")[0]]
               if line.split(" ", 1)[-1].endswith(": running")]  # fmt: skip
    job_names = [job.name for job in JOBS]
    assert [name for name in started if name in job_names] == job_names
    assert all(stack.state()["components"][job.name]["state"] == "done" for job in JOBS)


def test_web_process_gets_exactly_the_cloud_run_service_variables(stack):
    config = load_config(stack.project / "cloudrun.toml")
    pid = stack.component_pid("web")
    names = {
        entry.split(b"=", 1)[0].decode()
        for entry in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        if entry
    }
    placement = local_placement(
        config, db_host=str(layout_for(stack.project, config).socket_dir), port=stack.port
    )
    contract_names = {var.name for var in contract.CONTRACT}
    platform = set(service_platform(config, stack.port))
    runner = set(RUNNER)
    assert (names & contract_names) - platform - runner == service_variable_names(config, placement)
    assert platform <= names and runner <= names
    machine = {n for n in names - contract_names if n in PASSTHROUGH or n.startswith("LC_")}
    assert names - contract_names - machine == set()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands PostgreSQL to another account")
def test_under_root_postgresql_runs_as_an_unprivileged_account(stack):
    pid = stack.component_pid("database")
    status = Path(f"/proc/{pid}/status").read_text()
    uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
    assert uid != 0
    config = load_config(stack.project / "cloudrun.toml")
    assert layout_for(stack.project, config).pgdata.stat().st_uid == uid


def test_superuser_logs_in_to_the_admin_and_uploads_a_file(stack, tmp_path):
    password = cli(stack.project, "local", "secret", "superuser-password").stdout.strip()
    upload = tmp_path / "hello-cloudrun.txt"
    upload.write_bytes(UPLOAD)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(stack.url + "admin/login/?next=/admin/catalog/item/add/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        page.wait_for_selector("#id_name")
        page.fill("#id_name", ITEM_NAME)
        page.set_input_files("#id_attachment", str(upload))
        page.click("input[name=_save]")
        page.wait_for_url("**/admin/catalog/item/")
        assert ITEM_NAME in page.inner_text("#result_list")
        assert "hello-cloudrun" in page.inner_text("#result_list")
        page.click(f"text={ITEM_NAME}")
        href = page.get_attribute("a[href*='attachments/']", "href")
        browser.close()
    assert href and href.startswith("/media/attachments/")
    response = requests.get(stack.url.rstrip("/") + href, timeout=5)
    assert response.status_code == 200 and response.content == UPLOAD
    stack.shared["media_path"] = href


def test_web_process_that_stops_answering_is_restarted_and_logged(stack):
    before = stack.component_pid("web")
    os.killpg(before, signal.SIGSTOP)  # the whole server: master and workers
    stack.wait_until(
        lambda s: s["components"]["web"]["restarts"] == 1
        and s["components"]["web"]["state"] == "ready",
        timeout=60, what="restarted",
    )  # fmt: skip
    assert "web: liveness probe /health/live failed 2 times in a row; restarting" in stack.output()
    assert stack.component_pid("web") != before and not alive(before)
    assert requests.get(stack.url + "health/live", timeout=5).status_code == 200


def test_sigterm_stops_every_process_within_15_seconds(stack):
    seconds, left = stack.stop(timeout=15)
    assert not left, f"still running after {seconds:.1f} s: {left}"
    assert seconds < 15
    assert not leftovers(stack.project)
    assert "stopping everything in reverse order" in stack.output()


def test_second_up_reuses_cluster_and_secrets_and_serves_the_upload(stack):
    secrets = (stack.project / ".cloudrun/local/secrets").read_text()
    stack.start()
    warm = stack.wait_ready(timeout=60)
    assert (stack.project / ".cloudrun/local/secrets").read_text() == secrets
    response = requests.get(stack.url.rstrip("/") + stack.shared["media_path"], timeout=5)
    assert response.status_code == 200 and response.content == UPLOAD
    assert warm < stack.cold_seconds + 5  # no initdb the second time
    _, left = stack.stop()
    assert not left
