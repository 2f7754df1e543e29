"""`up`, `down`, `status`, `logs`, `run` and `local reset|secret`: the local target's commands."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from .. import contract
from ..config import DEFAULT_PATH, CloudRunConfig, load_config
from ..config.names import job_name
from ..local import (
    Layout,
    LocalError,
    Options,
    Probes,
    Supervisor,
    cron_job_named,
    detach,
    ensure_secrets,
    layout_for,
    lock_holder,
    read_state,
    run_once,
    stop_running,
)  # fmt: skip
from ..local.logfiles import follow, log_paths
from ..local.project_check import check_required_variables, state_not_ignored
from . import cloud_ops
from .cloud_common import CloudOption
from .common import ConfigOption, EnvOption, JsonOption, console, stderr, warn
from .local_view import UpView, components_table, cron_table, summary

__all__ = ["down", "local_app", "logs", "reset", "run", "secret", "status", "up"]

DATABASE_URL_ENV = "DJANGO_CLOUDRUN_DATABASE_URL"
PortOption = Annotated[int, typer.Option("--port", "-p", help="Port of the web service.")]
DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Use this PostgreSQL server instead of the embedded one, as its administrator: "
        "postgresql://ADMIN:PASSWORD@HOST:PORT.",
        envvar=DATABASE_URL_ENV,
    ),
]

local_app = typer.Typer(
    help="The local target's state: secrets, reset.", no_args_is_help=True, rich_markup_mode=None
)


def _project(config_path: Path, env: str | None) -> tuple[Path, CloudRunConfig, Layout]:
    config = load_config(config_path, env)
    project = config_path.resolve().parent
    return project, config, layout_for(project, config)


def _need_manage_py(project: Path) -> None:
    if not (project / "manage.py").exists():
        raise LocalError(
            f"no manage.py next to cloudrun.toml in {project}: run in your Django project's "
            "directory, or pass --config PATH/cloudrun.toml"
        )


def up(
    config: ConfigOption = DEFAULT_PATH,
    env: EnvOption = None,
    port: PortOption = contract.DEFAULT_PORT,
    database_url: DatabaseUrlOption = None,
    detach_: Annotated[
        bool, typer.Option("--detach", "-d", help="Run in the background; stop with `down`.")
    ] = False,
    liveness_period: Annotated[
        float,
        typer.Option(
            help="Seconds between liveness probes (deployed: "
            f"{contract.LIVENESS_PROBE.period_seconds})."
        ),
    ] = Probes.liveness_period,
    liveness_failures: Annotated[
        int, typer.Option(help="Failed liveness probes in a row that restart the web process.")
    ] = Probes.liveness_failures,
) -> None:
    """Run the production topology on this machine: database, jobs, web service, probes."""
    project, resolved, layout = _project(config, env)
    _need_manage_py(project)
    check_required_variables(project, resolved)
    warn(filter(None, [state_not_ignored(project)]))
    if detach_:
        argv = ["up", "--config", str(config.resolve()), "--port", str(port),
                "--liveness-period", str(liveness_period),
                "--liveness-failures", str(liveness_failures)]  # fmt: skip
        argv += ["--env", env] if env else []
        layout.create()
        environ = {**os.environ, **({DATABASE_URL_ENV: database_url} if database_url else {})}
        state = detach(argv, layout, environ)
        console.print(f"running in the background (pid {state['pid']})")
        console.print(summary(state))
        return
    probes = Probes(liveness_period=liveness_period, liveness_failures=liveness_failures)
    view = UpView(console)
    supervisor = Supervisor(project, resolved, Options(port, database_url, probes),
                            on_change=view.on_change, on_event=view.on_event)  # fmt: skip
    with view:
        supervisor.run(on_ready=view.on_ready)


def down(config: ConfigOption = DEFAULT_PATH, env: EnvOption = None) -> None:
    """Stop a running (or detached) `up`, or clean up after one that crashed."""
    _project_dir, _resolved, layout = _project(config, env)
    console.print(stop_running(layout), markup=False)


def status(
    config: ConfigOption = DEFAULT_PATH,
    env: EnvOption = None,
    as_json: JsonOption = False,
    cloud: CloudOption = False,
) -> None:
    """Show whether `up` runs, its URLs and each component's state (--cloud: the deployment)."""
    if cloud:
        return cloud_ops.status(config, env, as_json=as_json)
    _project_dir, _resolved, layout = _project(config, env)
    running = lock_holder(layout) is not None
    state = read_state(layout.state) if running else None
    if as_json:
        typer.echo(json.dumps({"running": running, **(state or {})}, indent=2))
        return
    if state is None:
        stale = read_state(layout.state)
        crashed = stale is not None and stale.get("phase") != "stopped"
        hint = "; clean up with `django-cloudrun down`" if crashed else ""
        console.print(f"not running{hint}", markup=False)
        return
    console.print(f"{state['service']}: {state['phase']} (pid {state['pid']})", markup=False)
    console.print(summary(state))
    console.print(components_table(state))
    if state.get("cron"):
        console.print()
        console.print(cron_table(state))


def logs(
    component: Annotated[
        str | None,
        typer.Argument(
            help="web, migrate, db-init, cron-NAME, database, media or up; all if omitted."
        ),
    ] = None,
    follow_: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
    lines: Annotated[int, typer.Option("--lines", "-n", help="Lines of history per log.")] = 40,
    raw: Annotated[bool, typer.Option("--raw", help="Print JSON log lines as they are.")] = False,
    config: ConfigOption = DEFAULT_PATH,
    env: EnvOption = None,
    cloud: CloudOption = False,
    job: Annotated[
        str | None,
        typer.Option("--job", help="With --cloud: a job's logs (db-init, migrate, cron-NAME)."),
    ] = None,
) -> None:
    """Print the logs of the local components (--cloud: Cloud Logging, last 24 hours)."""
    if cloud:
        return cloud_ops.logs(
            config, env, component=component, job=job, lines=lines, follow=follow_
        )
    _project_dir, _resolved, layout = _project(config, env)
    paths = log_paths(layout, component)
    prefix = len(paths) > 1
    width = max(map(len, paths)) if paths else 0
    try:
        for name, line in follow(paths, lines, lambda: follow_):
            text = line if raw else _readable(line)
            typer.echo(f"{name:<{width}} | {text}" if prefix else text)
    except KeyboardInterrupt:
        pass


def _readable(line: str) -> str:
    """A Cloud Logging JSON line as time, severity and message."""
    if not line.startswith("{"):
        return line
    try:
        entry: dict[str, Any] = json.loads(line)
    except ValueError:
        return line
    if not isinstance(entry, dict) or "message" not in entry:
        return line
    moment = str(entry.get("time", ""))[11:19]
    return f"{moment} {entry.get('severity', ''):<7} {entry['message']}"


def run(
    args: Annotated[
        list[str] | None, typer.Argument(help="manage.py arguments, after --, e.g. -- shell")
    ] = None,
    config: ConfigOption = DEFAULT_PATH,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
    cloud: CloudOption = False,
    cron: Annotated[
        str | None,
        typer.Option(
            "--cron",
            help="Run this [[cron]] entry's command now, with its cron job's environment.",
        ),
    ] = None,
) -> None:
    """Run a manage.py command as a one-off job with the service's environment.

    With --cloud, an execution of the migrate job on Cloud Run, waited for, its logs shown.
    """
    if cron is not None:
        return _run_cron(cron, args, config, env, database_url, cloud)
    if not args:
        stderr.print(
            "error: give the manage.py command after --, e.g. `django-cloudrun run -- shell`",
            style="red",
            markup=False,
        )
        raise typer.Exit(2)
    if cloud:
        return cloud_ops.run(config, env, args)
    project, resolved, _layout = _project(config, env)
    _need_manage_py(project)
    code = run_once(project, resolved, args, database_url=database_url)
    raise typer.Exit(code)


def _run_cron(
    name: str,
    args: list[str] | None,
    config: Path,
    env: str | None,
    database_url: str | None,
    cloud: bool,
) -> None:
    project, resolved, _layout = _project(config, env)
    if args:
        raise LocalError("--cron runs the entry's own command: give no arguments after --")
    job = cron_job_named(resolved, name)
    if cloud:
        raise LocalError(
            "--cron runs on this machine; to run it on Cloud Run now, run `gcloud "
            f"scheduler jobs run {job_name(resolved.service_name, job.name)} --location "
            f"{resolved.region} --project {resolved.project_id or 'PROJECT_ID'}`"
        )
    _need_manage_py(project)
    code = run_once(project, resolved, (), database_url=database_url, job=job)
    raise typer.Exit(code)


def reset(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    config: ConfigOption = DEFAULT_PATH,
    env: EnvOption = None,
) -> None:
    """Delete the local database, secrets, media and logs (.cloudrun/local; as root, the
    database is under /var/lib/django-cloudrun)."""
    _project_dir, _resolved, layout = _project(config, env)
    if lock_holder(layout) is not None:
        raise LocalError("`up` is running: stop it first with `django-cloudrun down`")
    outside = layout.outside()
    if outside:
        what = (
            f"{layout.root} (secrets, media, logs) and {' and '.join(map(str, outside))} (database)"
        )
    else:
        what = f"{layout.root} (database, secrets, media, logs)"
    if not yes:
        if sys.stdin is None or not sys.stdin.isatty():
            raise LocalError("no terminal to confirm on: pass --yes to delete the local state")
        typer.confirm(f"Delete {what}?", abort=True)
    stop_running(layout)
    layout.remove()
    console.print(
        f"removed {' and '.join(map(str, [layout.root, *outside]))}", markup=False, soft_wrap=True
    )  # paths whole, for copy and paste


def secret(
    name: Annotated[str, typer.Argument(help="Secret id, e.g. superuser-password.")],
    config: ConfigOption = DEFAULT_PATH,
    env: EnvOption = None,
) -> None:
    """Print one local secret (for scripts: the value alone on stdout)."""
    _project_dir, resolved, layout = _project(config, env)
    layout.create()
    values = ensure_secrets(layout.secrets, resolved)
    if name not in values:
        raise LocalError(f"no local secret {name!r}; secrets: {', '.join(values)}")
    typer.echo(values[name])


local_app.command("reset")(reset)
local_app.command("secret")(secret)
