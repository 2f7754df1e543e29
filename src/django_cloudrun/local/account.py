"""Which account runs PostgreSQL: this user, or an unprivileged one when this user is root.

initdb and postgres refuse to run as root (a database server that owns the machine is one
bug away from losing it). Under root, as in containers and CI, the cluster runs as the
"postgres" system account, or "nobody" when there is none, and its files are theirs.
"""

from __future__ import annotations

import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import LocalError

__all__ = ["Account", "server_account"]

CANDIDATES = ("postgres", "nobody")


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int

    @property
    def is_current(self) -> bool:
        return self.uid == os.geteuid()

    def popen_options(self) -> dict[str, Any]:
        """subprocess.Popen arguments that run the child as this account."""
        if self.is_current:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def own(self, *paths: Path) -> None:
        if not self.is_current:
            for path in paths:
                os.chown(path, self.uid, self.gid)

    def check_reachable(self, path: Path) -> None:
        """Fail with the fix when this account cannot enter every directory above ``path``."""
        if self.is_current:
            return
        groups = set(os.getgrouplist(self.name, self.gid))
        for directory in reversed(path.resolve().parents):
            info = directory.stat()
            if not _can_enter(info, self.uid, groups):
                raise LocalError(
                    f"PostgreSQL runs as {self.name!r} (it refuses root) and cannot enter "
                    f"{directory} (mode {stat.S_IMODE(info.st_mode):04o}): run as a normal user, "
                    f"keep the project elsewhere, `chmod o+x {directory}`, or pass --database-url"
                )


def _can_enter(info: os.stat_result, uid: int, groups: set[int]) -> bool:
    if info.st_uid == uid:
        return bool(info.st_mode & stat.S_IXUSR)
    if info.st_gid in groups:
        return bool(info.st_mode & stat.S_IXGRP)
    return bool(info.st_mode & stat.S_IXOTH)


def server_account() -> Account:
    entry = None
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.geteuid())
    else:
        for name in CANDIDATES:
            try:
                entry = pwd.getpwnam(name)
                break
            except KeyError:
                continue
    if entry is None:
        raise LocalError(
            "running as root, and neither a 'postgres' nor a 'nobody' account exists to run "
            "PostgreSQL: create one (useradd --system postgres), run as a normal user, or pass "
            "--database-url"
        )
    return Account(entry.pw_name, entry.pw_uid, entry.pw_gid)
