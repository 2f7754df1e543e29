"""The README's generated reference sections match the code they describe."""

from __future__ import annotations

from django_cloudrun.reference import SECTIONS, rewrite
from pg import REPO


def test_readme_reference_sections_are_up_to_date():
    readme = (REPO / "README.md").read_text()
    assert rewrite(readme) == readme, (
        "README.md is stale: run `python -m django_cloudrun.reference README.md`"
    )


def test_every_section_marker_is_present():
    readme = (REPO / "README.md").read_text()
    for section in SECTIONS:
        assert section.start in readme and section.end in readme


def test_readme_gives_the_commands_ci_runs():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    assert "pip install -e '.[dev]'" in readme and "-e '.[dev]'" in ci
    assert "\npytest\n" in readme and "\npytest\n" in ci
