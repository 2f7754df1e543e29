"""The production server the media, upload, probe and query-string fault tests share."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from faults.production_server import migrated_database, production_server
from served import Server


@dataclass(frozen=True)
class Site:
    server: Server
    media: Path  # the real media directory; MEDIA_ROOT is a link to it
    tmp: Path  # the server's TMPDIR, where Django spools uploads


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("site")
    media, tmp, static = base / "media", base / "tmp", base / "static"
    media.mkdir()
    tmp.mkdir()
    (base / "media-root").symlink_to(media, target_is_directory=True)
    with migrated_database(static) as env:
        extra = {"MEDIA_ROOT": str(base / "media-root"), "TMPDIR": str(tmp)}
        with production_server(env, **extra) as server:
            yield Site(server, media, tmp)
