"""How cloudrun_serve configures gunicorn, from the environment contract."""

from __future__ import annotations

import tempfile

from django.utils.module_loading import import_string
from gunicorn.workers.gthread import ThreadWorker

from django_cloudrun.server import server_options


def test_listens_on_every_address_of_the_container_on_port():
    assert server_options({"PORT": "9000"})["bind"] == ["0.0.0.0:9000"]


def test_a_workstation_server_can_stay_off_the_network():
    assert server_options({}, host="127.0.0.1", port=8123)["bind"] == ["127.0.0.1:8123"]


def test_the_server_outlasts_cloud_runs_request_timeout_and_stops_within_its_grace():
    options = server_options({"CLOUDRUN_REQUEST_TIMEOUT": "300"})
    assert options["timeout"] > 300
    assert options["graceful_timeout"] < 10


def test_threads_cover_cloud_runs_concurrency():
    options = server_options(
        {"CLOUDRUN_MAX_CONCURRENCY": "80", "WEB_CONCURRENCY": "2", "DB_POOL_MAX_SIZE": "4"}
    )
    assert issubclass(import_string(options["worker_class"]), ThreadWorker)
    assert options["workers"] * options["threads"] >= 80


def test_no_control_socket_and_heartbeats_in_the_temporary_directory():
    options = server_options({})
    assert options["control_socket_disable"] is True
    assert options["worker_tmp_dir"] == tempfile.gettempdir()
