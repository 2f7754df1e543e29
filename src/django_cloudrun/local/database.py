"""The database a local stack uses: the embedded cluster, or a server given by --database-url.

With a URL, its user and password are the administrator's, as on Cloud SQL: db-init
connects with them and creates the application's role and database from cloudrun.toml.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from .. import contract
from ..config import CloudRunConfig
from ..config.topology import secret_of
from .account import server_account
from .errors import LocalError
from .layout import Layout
from .postgres import Cluster, running_pid
from .processes import Proc

__all__ = ["DatabaseServer", "open_database"]

ADMIN_SECRET = secret_of(contract.DB_ADMIN_PASSWORD).key


@dataclass
class DatabaseServer:
    db_host: str
    db_port: str = ""
    values: dict[str, str] = field(default_factory=dict)  # local values of contract names
    secrets: dict[str, str] = field(default_factory=dict, repr=False)  # overriding ones
    proc: Proc | None = None
    description: str = ""
    cluster: Cluster | None = None  # the embedded server, to start again if it dies


def _from_url(url: str) -> DatabaseServer:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise LocalError(
            "--database-url must look like postgresql://ADMIN:PASSWORD@HOST:PORT, got "
            f"{parts.scheme or 'no'} scheme"
        )
    host = parts.hostname or parse_qs(parts.query).get("host", [""])[0]
    if not host:
        raise LocalError("--database-url names no host: postgresql://ADMIN:PASSWORD@HOST:PORT")
    user = unquote(parts.username or contract.ADMIN_ROLE)
    return DatabaseServer(
        db_host=host,
        db_port=str(parts.port or ""),
        values={contract.DB_ADMIN_USER.name: user},
        secrets={ADMIN_SECRET: unquote(parts.password or "")},
        description=f"{user}@{host}" + (f":{parts.port}" if parts.port else ""),
    )


def open_database(
    layout: Layout,
    config: CloudRunConfig,
    secrets: dict[str, str],
    url: str | None,
    *,
    reuse: bool = False,
    report: Callable[[str], None] | None = None,
    check: Callable[[], None] = lambda: None,
) -> DatabaseServer:
    """The database to use, the embedded server created and started if needed.

    With ``reuse``, an embedded server that already runs (that of a running `up`) is used
    as it is and stays its owner's; without it, such a server is an error. ``report`` says
    what takes long (fetching the server's binaries); on stderr by default. ``check`` is
    called while the server starts: what it raises stops the server.
    """
    if url:
        return _from_url(url)
    database = DatabaseServer(str(layout.socket_dir), description="embedded PostgreSQL")
    if reuse and running_pid(layout.pgdata) is not None:
        return database
    major = int(config.database.version.rpartition("_")[2])
    cluster = Cluster(layout, server_account(), secrets[ADMIN_SECRET], config.database.tier, major)
    if report is not None:
        cluster.report = report
    if not cluster.initialized():
        cluster.init()
    database.proc = cluster.start(check)
    database.cluster = cluster
    return database
