"""Realistic project shapes, each taken by a new user's path with no hand edits: init, up, the
home page and the admin, the project's own setup command through `run`, down (see corpus.py).
`python benchmarks/corpus.py` prints the same walk as a table with the time to ready."""

from __future__ import annotations

import pytest

from corpus import SHAPES, table, walk


@pytest.mark.slow
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_new_user_gets_the_project_running_with_up(shape, capsys):
    report = walk(shape)
    with capsys.disabled():
        print("\n" + table([report]))
    assert report.failure is None, report.failure
    assert report.ready_seconds is not None
