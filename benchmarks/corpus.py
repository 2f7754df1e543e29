"""The corpus of project shapes (tests/local/corpus.py): pass/fail per step, time to ready.

    PYTHONPATH=src python benchmarks/corpus.py [SHAPE ...]

Each shape is generated, committed, given `init --yes`, started with `up`, its home page and
admin checked, its setup command run through `run`, then stopped with `down`. "ready (s)" is
from launching `up` to its startup probe passing (the first `up`: initdb included).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests" / "local"), str(REPO / "tests")]

from corpus import SHAPES, table, walk  # noqa: E402


def main(names: list[str]) -> int:
    reports = []
    for name in names or list(SHAPES):
        report = walk(name)
        reports.append(report)
        if report.failure:
            print(report.failure, file=sys.stderr)
    print(table(reports))
    return 1 if any(r.failure for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
