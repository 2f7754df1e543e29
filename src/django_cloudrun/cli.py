"""The django-cloudrun command line. It only assembles: each command lives in commands/."""

from __future__ import annotations

from typing import Annotated

import typer

from . import __version__
from .commands import deploy, destroy, doctor, init, local, plan, rotate, validate
from .commands.common import ReportingGroup

__all__ = ["app", "main"]

app = typer.Typer(
    cls=ReportingGroup,
    name="django-cloudrun",
    help="Production Django on Google Cloud Run, and the same topology on this machine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
    # Plain help: every word as written ([[cron]], [state]) and no metavar on flags.
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"django-cloudrun {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Production Django on Google Cloud Run, and the same topology on this machine."""


app.command("init")(init.init)
app.command("validate")(validate.validate)
app.command("plan")(plan.plan)
app.command("doctor")(doctor.doctor)
app.command("deploy")(deploy.deploy)
app.command("destroy")(destroy.destroy)
app.command("up")(local.up)
app.command("down")(local.down)
app.command("status")(local.status)
app.command("logs")(local.logs)
app.command("run")(local.run)
app.add_typer(local.local_app, name="local")
app.add_typer(rotate.rotate_app, name="rotate")


def main() -> None:
    """Console script entry point (`django-cloudrun`)."""
    app()


if __name__ == "__main__":
    main()
