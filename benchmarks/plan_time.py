"""Wall-clock time of `django-cloudrun plan --json` on the example project.

Compares with a baseline in the same run: `django-cloudrun validate --json`, which loads the
same configuration without running the Pulumi program, so the difference is the program under
Pulumi's mocks.

    python benchmarks/plan_time.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "example"
CLI = [sys.executable, "-m", "django_cloudrun.cli"]


def timed(args: list[str]) -> tuple[float, str]:
    started = time.monotonic()
    result = subprocess.run([*CLI, *args], cwd=EXAMPLE, capture_output=True, text=True, check=True)
    return time.monotonic() - started, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    plan_times, plan_out = zip(*(timed(["plan", "--json"]) for _ in range(runs)), strict=True)
    validate_times = [timed(["validate", "--json"])[0] for _ in range(runs)]
    resources = len(json.loads(plan_out[-1])["resources"])
    print(f"plan --json on example/: {resources} resources ({runs} runs)")
    print(
        f"  plan --json       median {statistics.median(plan_times):.3f} s  max {max(plan_times):.3f} s"
    )
    print(f"  validate (base)   median {statistics.median(validate_times):.3f} s")


if __name__ == "__main__":
    main()
