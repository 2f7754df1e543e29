"""Where the local target keeps things: socket directory named like the Cloud SQL connection."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from django_cloudrun.config import parse_config
from django_cloudrun.local import connection_name, layout, layout_for
from django_cloudrun.local.errors import LocalError

CONFIG = parse_config('project_id = "example-project"\nregion = "europe-west1"\n')


def test_socket_directory_is_named_like_the_cloud_sql_connection():
    project = Path("/srv/app")
    layout = layout_for(project, CONFIG, outside=False)
    assert connection_name(CONFIG) == "example-project:europe-west1:demo-django-db"
    assert layout.socket_dir == project / ".cloudrun/local/cloudsql" / connection_name(CONFIG)


def test_socket_directory_moves_to_a_short_path_when_the_project_path_is_long(tmp_path):
    deep = tmp_path / ("a-rather-long-directory-name" * 3)
    layout = layout_for(deep, CONFIG, outside=False)
    assert layout.socket_dir.name == connection_name(CONFIG)
    assert len(str(layout.socket_dir / ".s.PGSQL.5432").encode()) <= 107
    assert layout.root == deep / ".cloudrun/local"  # everything else stays in the project
    assert layout_for(deep, CONFIG, outside=False).socket_dir == layout.socket_dir  # stable


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


@pytest.fixture
def shared(monkeypatch):
    """SHARED_BASE moved to a short temporary path: root's clusters, without /var/lib."""
    scratch = Path(tempfile.mkdtemp(prefix="d"))
    base = scratch / "dcr"  # as short as /var/lib/django-cloudrun: the socket fits there
    monkeypatch.setattr(layout, "SHARED_BASE", base)
    yield base
    shutil.rmtree(scratch)


def test_everything_stays_in_the_project_for_a_normal_user(tmp_path, shared):
    project = tmp_path / "app"
    local = layout_for(project, CONFIG, outside=False)
    assert local.cluster is None
    assert local.pgdata == project / ".cloudrun/local/postgres"
    assert local.cluster_home == local.root


def test_roots_cluster_and_socket_live_outside_the_project_keyed_by_its_path(tmp_path, shared):
    project = tmp_path / "app"
    local = layout_for(project, CONFIG, outside=True)
    assert local.cluster == shared / layout.project_key(project)
    assert local.pgdata == local.cluster / "postgres"
    assert local.socket_dir == local.cluster / connection_name(CONFIG)
    assert local.root == project / ".cloudrun/local"  # secrets, logs, media stay in the project
    assert layout_for(project, CONFIG, outside=True) == local  # stable across runs
    assert layout_for(tmp_path / "other", CONFIG, outside=True).cluster != local.cluster


def test_roots_cluster_directory_is_enterable_not_listable_and_recorded(tmp_path, shared):
    project = tmp_path / "app"
    local = layout_for(project, CONFIG, outside=True)
    local.create()
    for directory in (shared, local.cluster):
        assert directory.stat().st_mode & 0o777 == 0o711
    assert (local.root / "cluster").read_text() == f"{local.cluster}\n"
    assert (local.cluster / "project").read_text() == f"{project}\n"
    local.create()  # again: recorded once
    assert local.recorded_clusters() == [local.cluster]


def test_reset_removes_the_cluster_outside_the_project(tmp_path, shared):
    project = tmp_path / "app"
    local = layout_for(project, CONFIG, outside=True)
    local.create()
    local.pgdata.mkdir()
    assert local.outside() == [local.cluster]
    local.remove()
    assert local.outside() == []
    assert not local.root.exists()
    assert not local.cluster.exists()
    assert shared.exists()  # other projects' clusters and the unpacked binaries stay


def test_reset_of_a_moved_project_removes_its_former_cluster_not_a_copys(tmp_path, shared):
    original = tmp_path / "app"
    first = layout_for(original, CONFIG, outside=True)
    first.create()
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)  # the original still uses its cluster
    layout_for(copy, CONFIG, outside=True).remove()
    assert first.cluster.exists()
    moved = tmp_path / "moved"
    original.rename(moved)  # now nobody uses the first cluster: resetting the moved one ends it
    second = layout_for(moved, CONFIG, outside=True)
    second.create()
    assert second.recorded_clusters() == [first.cluster, second.cluster]
    assert second.outside() == sorted([first.cluster, second.cluster])  # what reset names
    second.remove()
    assert not first.cluster.exists() and not second.cluster.exists()


def test_a_shared_directory_someone_else_can_write_is_refused(tmp_path, shared):
    shared.mkdir(parents=True)
    shared.chmod(0o777)
    with pytest.raises(LocalError, match="only it can write to: remove it"):
        layout_for(tmp_path / "app", CONFIG, outside=True).create()


def test_root_gets_the_outside_layout_by_default(tmp_path, shared):
    assert (layout_for(tmp_path, CONFIG).cluster is not None) == (os.geteuid() == 0)
