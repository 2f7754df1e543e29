"""[worker]: what validate accepts, what it refuses in one line, and what the workers cost."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from django_cloudrun.config import ConfigError, parse_config
from django_cloudrun.config.budget import connection_budget

SCRIPT = Path(sys.executable).parent / "django-cloudrun"
DIRECT_VPC = '[vpc]\nmode = "direct"\nnetwork = "default"\nsubnet = "run-egress"\n'


def test_validate_refuses_a_worker_without_a_vpc_in_one_line(tmp_path):
    (tmp_path / "cloudrun.toml").write_text("[worker]\nenable_worker = true\n")
    result = subprocess.run(
        [str(SCRIPT), "validate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[0] == (
        'worker.enable_worker: needs the VPC its broker is on: set vpc.mode = "direct" '
        "with vpc.network and vpc.subnet"
    )
    assert "Traceback" not in result.stderr


def test_a_worker_through_a_connector_is_refused():
    with pytest.raises(ConfigError, match='worker.enable_worker: .* vpc.mode = "direct"'):
        parse_config(
            '[vpc]\nmode = "connector"\nconnector = "c1"\n[worker]\nenable_worker = true\n'
        )


def test_a_worker_with_direct_vpc_egress_is_accepted():
    config = parse_config(DIRECT_VPC + "[worker]\nenable_worker = true\napp = 'mysite'\n")
    assert config.worker.app == "mysite"
    assert (config.worker.cpu, config.worker.memory, config.worker.instance_count) == (
        "1",
        "1Gi",
        1,
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("cpu = 2\nmemory = '16Gi'", "worker.memory: must be between 1Gi and 8Gi with cpu 2"),
        ("cpu = 3", "worker.cpu"),
        ("instance_count = 0", "worker.instance_count"),
        ("task_time_limit = 5", "worker.task_time_limit"),
        ("app = 'my-site'", "worker.app"),
    ],
)
def test_worker_values_outside_cloud_runs_limits_are_refused(table, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(f"[worker]\n{table}\n")


def test_the_budget_counts_every_worker_process():
    config = parse_config(
        DIRECT_VPC + "[worker]\nenable_worker = true\nconcurrency = 3\ninstance_count = 2\n"
    )
    assert config.budget.worker_processes == 6
    assert config.budget.as_dict()["worker_processes"] == 6
    without = connection_budget(config.database.tier, config.max_instance_count)
    assert config.budget.overhead == without.overhead + 6


def test_a_disabled_worker_costs_no_connections():
    config = parse_config("[worker]\nconcurrency = 50\ninstance_count = 10\n")
    assert config.budget.worker_processes == 0


def test_workers_beyond_the_tier_are_refused_with_the_way_out():
    with pytest.raises(ConfigError, match="worker processes.*lower worker.concurrency"):
        parse_config(
            DIRECT_VPC + "[worker]\nenable_worker = true\nconcurrency = 10\ninstance_count = 3\n"
        )
