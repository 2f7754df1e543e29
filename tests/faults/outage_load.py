"""Bounded load against a served example while its private PostgreSQL goes down and comes back.

Each request records when it started and ended and what it got, so a run can be read per
second (ok / 503 / other) and judged against the outage's two instants: when the server
stopped and when it accepted connections again.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

from faults.private_postgres import PrivatePostgres
from pg import EXAMPLE, REPO, manage

CLIENTS = 8
HOST = "demo-django-123456.us-central1.run.app"
# A page that reads the database, as the front end sends it (TLS ended before the server).
PAGE_HEADERS = {"Host": HOST, "X-Forwarded-Proto": "https"}
CLIENT_TIMEOUT = 30.0


def example_env(database: PrivatePostgres) -> dict[str, str]:
    """The environment of the example project's jobs and server on ``database``."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DB_", "DJANGO_", "K_", "CLOUDRUN_"))
    }
    return {
        **base,
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(EXAMPLE), str(REPO / "tests")]),
        "DJANGO_SETTINGS_MODULE": "mysite.settings",
        "DB_HOST": "127.0.0.1",
        "DB_PORT": str(database.port),
        "DB_NAME": "outage",
        "DB_USER": "outage_app",
        "DB_PASSWORD": "outage-password",
        "DB_ADMIN_USER": "postgres",
        "DB_EXTENSIONS": "pg_trgm,unaccent,hstore,citext",
        "CLOUDRUN_LOG_FORMAT": "json",
    }


def prepare_example(database: PrivatePostgres, static_root: Path) -> dict[str, str]:
    """Start ``database`` and set it up with db-init and migrate; the environment to serve."""
    database.init()
    database.start()
    env = {**example_env(database), "STATIC_ROOT": str(static_root)}
    for job in ("cloudrun_db_init", "cloudrun_migrate"):
        result = manage([job, "--verbosity", "0"], env)
        assert result.returncode == 0, result.stderr
    return env


@dataclass(frozen=True)
class Outcome:
    started: float
    ended: float
    status: int | None  # None: no HTTP response (reset, refused, timeout)
    retry_after: str | None = None
    error: str = ""

    @property
    def latency(self) -> float:
        return self.ended - self.started

    @property
    def kind(self) -> str:
        if self.status == 200:
            return "ok"
        if self.status == 503:
            return "503"
        return "other"


@dataclass
class OutageRun:
    began: float
    down_at: float = 0.0
    accepting_at: float = 0.0  # the database accepts connections again
    outcomes: list[Outcome] = field(default_factory=list)

    def during_outage(self) -> list[Outcome]:
        return [o for o in self.outcomes if self.down_at <= o.started < self.accepting_at]

    def started_after_recovery(self, delay: float) -> list[Outcome]:
        return [o for o in self.outcomes if o.started >= self.accepting_at + delay]

    def first_success_after_recovery(self) -> float | None:
        """Seconds from the database accepting again to the first 200 answered after it."""
        ends = [o.ended for o in self.outcomes if o.status == 200 and o.ended >= self.accepting_at]
        return min(ends) - self.accepting_at if ends else None

    def per_second(self) -> str:
        """A table: one row per second of the run, by the second each request started in."""
        rows: dict[int, Counter[str]] = {}
        slowest: dict[int, float] = {}
        for outcome in self.outcomes:
            second = int(outcome.started - self.began)
            rows.setdefault(second, Counter())[outcome.kind] += 1
            slowest[second] = max(slowest.get(second, 0.0), outcome.latency)
        lines = ["  s    ok   503 other  max latency"]
        for second in sorted(rows):
            count = rows[second]
            mark = ""
            if self.down_at and int(self.down_at - self.began) == second:
                mark = "  <- database stopped"
            if self.accepting_at and int(self.accepting_at - self.began) == second:
                mark = "  <- database accepts again"
            lines.append(
                f"{second:3d} {count['ok']:5d} {count['503']:5d} {count['other']:5d}"
                f"  {slowest[second]:6.2f} s{mark}"
            )
        return "\n".join(lines)

    def summary(self) -> str:
        outage = self.during_outage()
        first = self.first_success_after_recovery()
        after = self.started_after_recovery(1.0)
        return (
            f"outage {self.accepting_at - self.down_at:.1f} s; during it "
            f"{len(outage)} requests, slowest answer {max((o.latency for o in outage), default=0):.2f} s, "
            f"{sum(o.kind == 'other' for o in outage)} not 503; "
            f"first success {first if first is None else round(first, 2)} s after the database "
            f"accepted again; {sum(o.kind != 'ok' for o in after)} errors among "
            f"{len(after)} requests started 1 s after"
        )


def _client(url: str, stop: threading.Event, outcomes: list[Outcome]) -> None:
    with requests.Session() as session:
        while not stop.is_set():
            started = time.monotonic()
            try:
                response = session.get(
                    url, headers=PAGE_HEADERS, timeout=CLIENT_TIMEOUT, allow_redirects=False
                )
            except requests.RequestException as error:
                outcomes.append(
                    Outcome(started, time.monotonic(), None, error=type(error).__name__)
                )
                session.close()
                time.sleep(0.05)
                continue
            outcomes.append(
                Outcome(
                    started,
                    time.monotonic(),
                    response.status_code,
                    response.headers.get("Retry-After"),
                )
            )
            if response.status_code != 200:
                time.sleep(0.05)  # as a client honouring nothing but a short pause would


def drive_outage(
    url: str, database: PrivatePostgres, *, warmup: float, outage: float, after: float
) -> OutageRun:
    """Load ``url`` from CLIENTS threads; stop ``database`` (fast) for ``outage`` seconds."""
    run = OutageRun(began=time.monotonic())
    stop = threading.Event()
    with ThreadPoolExecutor(CLIENTS) as clients:
        for _ in range(CLIENTS):
            clients.submit(_client, url, stop, run.outcomes)
        try:
            time.sleep(warmup)
            run.down_at = time.monotonic()
            database.stop_fast()
            time.sleep(max(0.0, outage - (time.monotonic() - run.down_at)))
            database.start()
            run.accepting_at = time.monotonic()
            time.sleep(after)
        finally:
            stop.set()
    return run
