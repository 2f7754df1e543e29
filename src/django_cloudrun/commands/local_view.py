"""What `up` and `status` show: the URLs, how to get the password, each component's state.

On a terminal `up` keeps one live panel up to date; elsewhere (CI, `up --detach`'s log) it
prints one line per change, so the output reads as a log.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..config.topology import SUPERUSER_SECRET

__all__ = ["PASSWORD_COMMAND", "UpView", "components_table", "cron_table", "summary"]

PASSWORD_COMMAND = f"django-cloudrun local secret {SUPERUSER_SECRET}"
STYLES = {
    "ready": "green", "running": "green", "done": "green", "starting": "yellow",
    "restarting": "yellow", "stopping": "yellow", "failed": "bold red",
}  # fmt: skip


def summary(snapshot: dict[str, Any]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")  # a URL wraps in a narrow terminal; it is never cut
    grid.add_row("URL", snapshot["url"])
    grid.add_row("Admin", f"{snapshot['admin_url']} (user {snapshot['superuser']})")
    grid.add_row("Password", PASSWORD_COMMAND)
    grid.add_row("Logs", "django-cloudrun logs web -f")
    grid.add_row("Stop", "Ctrl-C, or django-cloudrun down")
    return grid


def components_table(snapshot: dict[str, Any]) -> Table:
    table = Table(box=None, padding=(0, 2), show_edge=False)
    for column in ("component", "state", "pid", "restarts", "detail"):
        table.add_column(
            column, style="dim" if column in ("pid", "restarts") else None, overflow="fold"
        )
    for component in snapshot["components"].values():
        state = component["state"]
        table.add_row(
            component["name"],
            Text(state, style=STYLES.get(state, "dim")),
            str(component["pid"] or ""),
            str(component["restarts"] or ""),
            component["detail"],
        )
    return table


def cron_table(snapshot: dict[str, Any]) -> Table:
    """Each [[cron]] entry: its schedule (UTC), next run, last run and its exit code."""
    table = Table(box=None, padding=(0, 1), show_edge=False)
    for column in ("cron", "schedule", "next run", "last run", "exit"):
        table.add_column(column, no_wrap=True)
    for entry in snapshot.get("cron", []):
        code = entry["last_exit"]
        if entry["running"]:
            last_exit = Text("running", style="green")
        elif code is None:
            last_exit = Text("")
        else:
            last_exit = Text(str(code), style="green" if code == 0 else "bold red")
        table.add_row(
            entry["name"],
            entry["schedule"],
            _moment(entry["next_run"]) or "never",
            _moment(entry["last_run"]),
            last_exit,
        )
    return table


def _moment(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else ""


class UpView:
    """Callbacks for the supervisor: on_change, on_event, on_ready."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live: Live | None = None
        self.started = time.monotonic()
        self.snapshot: dict[str, Any] | None = None
        self.ready_after: float | None = None
        self.events: deque[str] = deque(maxlen=6)
        self.seen: dict[str, str] = {}

    def __enter__(self) -> UpView:
        if self.console.is_terminal:
            self.live = Live(console=self.console, auto_refresh=False, transient=False)
            self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self._refresh()
            self.live.stop()

    def on_change(self, snapshot: dict[str, Any]) -> None:
        self.snapshot = snapshot
        if self.live is not None:
            self._refresh()
            return
        for name, component in snapshot["components"].items():
            line = f"{component['state']} {component['detail']}".strip()
            if self.seen.get(name, "waiting") != line:
                self.seen[name] = line
                detail = f" ({component['detail']})" if component["detail"] else ""
                self._line(f"{name}: {component['state']}{detail}")

    def on_event(self, message: str) -> None:
        self.events.append(f"{time.strftime('%H:%M:%S')} {message}")
        if self.live is not None:
            self._refresh()
        else:
            self._line(message)

    def on_ready(self, snapshot: dict[str, Any]) -> None:
        self.ready_after = time.monotonic() - self.started
        self.snapshot = snapshot
        if self.live is not None:
            self._refresh()
        else:
            self._line(f"ready in {self.ready_after:.1f} s")
            self.console.print(summary(snapshot))

    def _line(self, text: str) -> None:
        self.console.print(
            f"{time.strftime('%H:%M:%S')} {text}", markup=False, highlight=False, soft_wrap=True
        )

    def _refresh(self) -> None:
        if self.live is not None and self.snapshot is not None:
            self.live.update(self._render(self.snapshot), refresh=True)

    def _render(self, snapshot: dict[str, Any]) -> RenderableType:
        parts: list[RenderableType] = []
        if self.ready_after is not None and snapshot["phase"] == "ready":
            parts += [summary(snapshot), Text()]
        parts.append(components_table(snapshot))
        if snapshot.get("cron"):
            parts += [Text(), cron_table(snapshot)]
        if self.events:
            parts += [Text(), Text("\n".join(self.events), style="dim")]
        if self.ready_after is not None:
            ready = f"ready in {self.ready_after:.1f} s"
            title = f"{snapshot['service']}: {snapshot['phase']} ({ready})"
        else:
            dots = "…" if snapshot["phase"] == "starting" else ""
            title = f"{snapshot['service']}: {snapshot['phase']}{dots}"
        return Panel(Group(*parts), title=title, title_align="left")
