"""A database outage under load: how fast requests fail, how soon pages are served again.

Runs the example project's production server against a PostgreSQL cluster of its own,
loads it from a few client threads, stops the cluster (fast shutdown) for each outage
length, starts it again, and prints per configuration and outage: the slowest answer while
the database was down, the requests that got neither 200 nor 503, the time from the
database accepting connections again to the first page served, and the errors among
requests started a second after that. The baseline is the same server with psycopg_pool's
defaults (benchmarks/outage_baseline_settings.py).

    python benchmarks/outage.py [--outages 0,5,20] [--after 12] [--table]

Runs as root too: the cluster then runs as the account `up` uses.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS.parent / "tests"))

from faults.outage_load import OutageRun, drive_outage, prepare_example  # noqa: E402
from faults.private_postgres import PrivatePostgres  # noqa: E402
from served import cleanup, free_port, production_env, start_server  # noqa: E402

CONFIGURATIONS = {
    "psycopg_pool defaults (baseline)": "outage_baseline_settings",
    "django-cloudrun": "mysite.settings",
}


def measure(
    env: dict[str, str], database: PrivatePostgres, outage: float, after: float
) -> OutageRun:
    if not database.accepts():
        database.start()
    server = start_server(production_env(env))
    try:
        server.wait_until("/health/", 200)  # the pool is open and the database answers
        return drive_outage(server.url + "/", database, warmup=2.0, outage=outage, after=after)
    finally:
        cleanup(server)


def row(name: str, outage: float, load_after: float, run: OutageRun) -> str:
    during = run.during_outage()
    slowest = max((o.latency for o in during), default=0.0)
    first = run.first_success_after_recovery()
    after = run.started_after_recovery(1.0)
    others = sum(o.kind == "other" for o in run.outcomes)
    return (
        f"{name:34s} {outage:6.0f} s {slowest:8.2f} s {others:7d} "
        f"{f'> {load_after:.0f} s' if first is None else f'{first:.2f} s':>10s} "
        f"{sum(o.kind != 'ok' for o in after):5d} / {len(after)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outages", default="0,5,20", help="outage lengths in seconds")
    parser.add_argument("--after", type=float, default=12.0, help="seconds of load after it")
    parser.add_argument("--table", action="store_true", help="print each run's per-second table")
    options = parser.parse_args()
    outages = [float(value) for value in options.outages.split(",")]

    database = PrivatePostgres(free_port())
    static_root = tempfile.TemporaryDirectory(prefix="outage-static-")
    try:
        env = prepare_example(database, Path(static_root.name))
        env["PYTHONPATH"] = os.pathsep.join([env["PYTHONPATH"], str(BENCHMARKS)])
        print(
            f"{'configuration':34s} {'outage':>8s} {'slowest':>10s} {'not 503':>7s} "
            f"{'recovery':>10s} {'errors 1 s after':>16s}"
        )
        for name, settings_module in CONFIGURATIONS.items():
            configured = {**env, "DJANGO_SETTINGS_MODULE": settings_module}
            for outage in outages:
                run = measure(configured, database, outage, options.after)
                print(row(name, outage, options.after, run), flush=True)
                if options.table:
                    print(run.per_second())
    finally:
        database.remove()
        static_root.cleanup()


if __name__ == "__main__":
    main()
