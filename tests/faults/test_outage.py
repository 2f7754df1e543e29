"""A database outage under load: fail fast with 503 while it lasts, recover at once after it."""

from __future__ import annotations

import pytest

from faults.outage_load import drive_outage, prepare_example
from faults.private_postgres import PrivatePostgres
from served import cleanup, free_port, production_env, start_server

pytestmark = pytest.mark.slow

FAIL_FAST_SECONDS = 2.0
RECOVERY_SECONDS = 1.0
SETTLED_AFTER = 1.0  # requests started this long after recovery must all succeed


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A private cluster, set up by db-init and migrate, with static files collected."""
    cluster = PrivatePostgres(free_port())
    try:
        yield cluster, prepare_example(cluster, tmp_path_factory.mktemp("static"))
    finally:
        cluster.remove()


@pytest.fixture
def server(database):
    cluster, env = database
    if not cluster.accepts():
        cluster.start()
    running = start_server(production_env(env))
    running.wait_until("/health/", 200)
    yield running
    cleanup(running)


def _assert_recovered(run) -> None:
    first = run.first_success_after_recovery()
    assert first is not None and first <= RECOVERY_SECONDS, run.summary()
    settled = run.started_after_recovery(SETTLED_AFTER)
    assert settled, "no request was made after the recovery"
    assert all(o.status == 200 for o in settled), run.per_second()


def test_an_outage_is_answered_503_within_2_s_and_pages_return_within_1_s_of_its_end(
    database, server
):
    cluster, _env = database
    run = drive_outage(server.url + "/", cluster, warmup=2.0, outage=6.0, after=4.0)
    print(f"\n{run.per_second()}\n{run.summary()}")

    outage = run.during_outage()
    unavailable = [o for o in outage if o.status == 503]
    # Requests sent while the server was still shutting down may have been served.
    assert len(unavailable) >= len(outage) // 2, run.per_second()
    assert all(o.status in (200, 503) for o in outage), run.per_second()
    assert all(o.retry_after and o.retry_after.isdigit() for o in unavailable)
    assert max(o.latency for o in outage) <= FAIL_FAST_SECONDS, run.per_second()
    _assert_recovered(run)


def test_an_instant_restart_gives_no_500_and_pages_return_within_1_s(database, server):
    """Every pooled connection dies at once; none is handed to a request after that."""
    cluster, _env = database
    run = drive_outage(server.url + "/", cluster, warmup=2.0, outage=0.0, after=3.0)
    print(f"\n{run.per_second()}\n{run.summary()}")

    assert all(o.status in (200, 503) for o in run.outcomes), run.per_second()
    _assert_recovered(run)
