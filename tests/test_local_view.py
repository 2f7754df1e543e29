"""What `up` and `status` print, in a narrow terminal."""

from __future__ import annotations

from rich.console import Console

from django_cloudrun.commands.local_view import summary

SNAPSHOT = {
    "url": "http://localhost:65535/",
    "admin_url": "http://localhost:65535/admin/",
    "superuser": "a-rather-long-administrator-name",
}


def test_summary_never_cuts_a_url_in_a_narrow_terminal() -> None:
    console = Console(width=24, record=True)
    console.print(summary(SNAPSHOT))
    text = console.export_text()
    assert all(len(line) <= 24 for line in text.splitlines())
    joined = "".join(text.split())
    assert "http://localhost:65535/admin/" in joined
    assert "…" not in text
