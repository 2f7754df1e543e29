"""Where the local target keeps things: socket directory named like the Cloud SQL connection."""

from __future__ import annotations

from pathlib import Path

from django_cloudrun.config import parse_config
from django_cloudrun.local import connection_name, layout_for

CONFIG = parse_config('project_id = "example-project"\nregion = "europe-west1"\n')


def test_socket_directory_is_named_like_the_cloud_sql_connection():
    project = Path("/srv/app")
    layout = layout_for(project, CONFIG)
    assert connection_name(CONFIG) == "example-project:europe-west1:demo-django-db"
    assert layout.socket_dir == project / ".cloudrun/local/cloudsql" / connection_name(CONFIG)


def test_socket_directory_moves_to_a_short_path_when_the_project_path_is_long(tmp_path):
    deep = tmp_path / ("a-rather-long-directory-name" * 3)
    layout = layout_for(deep, CONFIG)
    assert layout.socket_dir.name == connection_name(CONFIG)
    assert len(str(layout.socket_dir / ".s.PGSQL.5432").encode()) <= 107
    assert layout.root == deep / ".cloudrun/local"  # everything else stays in the project
    assert layout_for(deep, CONFIG).socket_dir == layout.socket_dir  # stable across runs


def test_same_project_path_and_config_give_the_same_layout():
    project = Path("/srv/app")
    assert layout_for(project, CONFIG) == layout_for(project, CONFIG)


def test_private_files_are_never_readable_by_others(tmp_path):
    from django_cloudrun.local.secrets import write_private

    leftover = tmp_path / "secrets.tmp"
    leftover.write_text("old")
    leftover.chmod(0o644)
    write_private(leftover, "new secret")
    assert leftover.read_text() == "new secret"
    assert leftover.stat().st_mode & 0o777 == 0o600
