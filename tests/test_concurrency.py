"""Processes, threads and connections of one instance stay within the connection budget."""

from __future__ import annotations

import pytest

from django_cloudrun import concurrency
from django_cloudrun.config.budget import connection_budget


@pytest.fixture
def cpus(monkeypatch):
    def set_cpus(count: int) -> None:
        monkeypatch.setattr(concurrency, "cpu_count", lambda: count)

    return set_cpus


@pytest.mark.parametrize(
    ("tier", "max_instances", "cpu"),
    [
        ("db-f1-micro", 3, 1),
        ("db-f1-micro", 10, 4),
        ("db-f1-micro", 3, 8),
        ("db-g1-small", 20, 2),
        ("db-custom-1-3840", 40, 8),
    ],
)
def test_connections_of_every_instance_fit_the_tier(cpus, tier, max_instances, cpu):
    cpus(cpu)
    budget = connection_budget(tier, max_instances)
    env = {"DB_POOL_MAX_SIZE": str(budget.pool_per_instance)}
    per_instance = concurrency.web_workers(env) * concurrency.pool_size_per_process(env)
    assert 1 <= per_instance <= budget.pool_per_instance
    assert max_instances * per_instance + budget.overhead <= budget.max_connections


def test_one_process_per_cpu_when_connections_allow(cpus):
    cpus(4)
    env = {"DB_POOL_MAX_SIZE": "8", "CLOUDRUN_MAX_CONCURRENCY": "80"}
    assert concurrency.web_workers(env) == 4
    assert concurrency.pool_size_per_process(env) == 2
    assert concurrency.threads_per_worker(env) == 20


def test_fewer_processes_than_cpus_when_connections_are_scarce(cpus):
    cpus(8)
    assert concurrency.web_workers({"DB_POOL_MAX_SIZE": "2"}) == 2


def test_web_concurrency_overrides_the_process_count(cpus):
    cpus(8)
    assert concurrency.web_workers({"WEB_CONCURRENCY": "3", "DB_POOL_MAX_SIZE": "6"}) == 3


def test_bad_numbers_name_the_variable():
    with pytest.raises(ValueError, match="DB_POOL_MAX_SIZE must be a positive integer, got '0'"):
        concurrency.web_workers({"DB_POOL_MAX_SIZE": "0"})
