"""`rotate secret-key` and `rotate db-password`: new secrets with no failed request (on this
machine, under `up`)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import typer

from ..config import DEFAULT_PATH
from ..local.db_rotation import rotate_db_password
from ..local.rollout import roll_out
from ..local.rotation import rotate_secret_key
from .common import ConfigOption, EnvOption, console
from .local import _project

__all__ = ["db_password", "rotate_app", "secret_key"]

rotate_app = typer.Typer(
    help="Rotate a generated secret; sessions and requests survive it.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def secret_key(config: ConfigOption = DEFAULT_PATH, env: EnvOption = None) -> None:
    """A new SECRET_KEY; the old one stays in SECRET_KEY_FALLBACKS for [rotation] grace_days.

    Locally, a running `up` moves its web service to the new key as a new revision would.
    """
    _project_dir, resolved, layout = _project(config, env)
    started = time.monotonic()
    fallbacks = rotate_secret_key(layout.secrets, resolved, datetime.now(UTC))
    rollout = roll_out(layout)
    where = "the web service runs with it" if rollout.running else "the next `up` uses it"
    console.print(
        f"new secret-key: {where}; {fallbacks} previous key(s) kept as fallbacks for "
        f"{resolved.rotation.grace_days} day(s) ({time.monotonic() - started:.1f} s)",
        markup=False,
    )


def db_password(config: ConfigOption = DEFAULT_PATH, env: EnvOption = None) -> None:
    """A new database password, on the login role not in use (alternating users).

    The running `up` moves its web service to that login as a new revision would, then the
    old login is refused. An interrupted rotation is finished by running it again.
    """
    _project_dir, resolved, layout = _project(config, env)
    started = time.monotonic()
    rotation = rotate_db_password(layout, resolved)
    what = "finished the interrupted rotation" if rotation.resumed else "new database password"
    console.print(
        f"{what}: the web service logs in as {rotation.login}; {rotation.retired} is refused "
        f"from now on ({time.monotonic() - started:.1f} s)",
        markup=False,
    )


rotate_app.command("secret-key")(secret_key)
rotate_app.command("db-password")(db_password)
