"""`up`: the production topology on this machine, supervised like Cloud Run supervises it.

Start, in order: the database, media, the jobs of config.topology.JOBS (each a separate
process with its own environment; a failing job stops everything), then the web service
(`manage.py cloudrun_serve`), which is "ready" only once its startup probe passes; with
static.mode gcs-cdn, the edge (edge.py) holds the port in front of it. While
running, the liveness probe restarts a web process that stops answering, a web process
that exits is started again, an embedded PostgreSQL that dies is started again (as Cloud
SQL restores its instance; the web service keeps running and reconnects), and the [[cron]]
entries run on their schedules (local.cron: a failing run is reported, never fatal). On
SIGTERM or Ctrl-C everything stops in reverse order: SIGTERM, a grace period, SIGKILL; no
process is left.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..config import CloudRunConfig
from ..config.topology import JOBS, Job
from ..contract import DEFAULT_PORT, LIVENESS_PROBE, STARTUP_PROBE, STORAGE_EMULATOR_HOST
from ..errors import INTERRUPTED_EXIT
from .broker import start_broker
from .cron import Clock, CronEntry, CronScheduler, cron_entries
from .database import DatabaseServer, open_database
from .edge import Edge, StaticBucket
from .environment import LocalTarget, target_for
from .errors import LocalError
from .layout import layout_for
from .listener import Listener
from .media import Media, prepare_media
from .probes import Probes, probe
from .processes import Proc, check_port_free, spawn, start_time, tail
from .rotation import current_secrets
from .secrets import BROKER_PASSWORD
from .state import UpLock, write_state

__all__ = ["COMPONENTS", "Component", "Options", "Supervisor"]

LOCAL_HOST = "127.0.0.1"

COMPONENTS = ("database", "media", *(job.name for job in JOBS), "web")
MAX_BACKOFF = 30.0
WORKER = "worker"
BROKER = "broker"


def components_of(config: CloudRunConfig) -> tuple[str, ...]:
    """COMPONENTS, with the broker after media and the worker after web when enabled."""
    if not config.worker.enable_worker:
        return COMPONENTS
    return ("database", "media", BROKER, *(job.name for job in JOBS), "web", WORKER)


class Stopping(Exception):
    """A stop was requested (signal) while starting."""


@dataclass
class Options:
    port: int = DEFAULT_PORT
    database_url: str | None = None
    probes: Probes = field(default_factory=Probes)


@dataclass
class Component:
    name: str
    state: str = "waiting"
    detail: str = ""
    proc: Proc | None = None
    restarts: int = 0

    def as_dict(self) -> dict[str, Any]:
        pid = self.proc.pid if self.proc and self.proc.running() else None
        return {
            "name": self.name, "state": self.state, "detail": self.detail, "pid": pid,
            "start_time": start_time(pid) if pid else None, "restarts": self.restarts,
            "stop_signal": int(self.proc.stop_signal) if self.proc else int(signal.SIGTERM),
        }  # fmt: skip


class Supervisor:
    def __init__(
        self,
        project: Path,
        config: CloudRunConfig,
        options: Options,
        on_change: Callable[[dict[str, Any]], None] = lambda _: None,
        on_event: Callable[[str], None] = lambda _: None,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.config, self.options = config, options
        self.layout = layout_for(project, config)
        self.on_change, self.on_event = on_change, on_event
        entries = cron_entries(config, self.layout.log)
        self.cron = CronScheduler(entries, clock=clock, spawn=self._spawn_cron,
                                  on_event=self._event, on_change=self._cron_changed,
                                  grace=options.probes.grace)  # fmt: skip
        self.order = (*components_of(config), *(entry.name for entry in entries))
        self.components = {name: Component(name) for name in self.order}
        self.phase = "starting"
        self.stop_requested = 0
        self.signal_name = ""
        self.emulator = ""  # STORAGE_EMULATOR_HOST in media mode api, for `run`
        self.broker_port = 0  # the broker's, for `run` (the password stays in the secrets)
        self.broker_url = ""
        self.lock = UpLock(self.layout.lock)
        self.target: LocalTarget | None = None
        self.worker_backoff, self.worker_next_start, self.worker_started = 1.0, 0.0, 0.0
        self.clock = clock
        self.listener: Listener | None = None  # the web service's socket
        # static.mode gcs-cdn: the load balancer's URL map holds the port, the web is behind it
        self.front: Listener | None = None
        self.edge: Edge | None = None
        self.database: DatabaseServer | None = None
        self.database_backoff = 1.0
        self.media: Media | None = None
        self.rollout_requested = False
        # Rollouts are numbered: "done" and "failed" hold the number of the last of each.
        self.rollouts: dict[str, Any] = {"started": 0, "done": 0, "failed": 0, "error": ""}

    # -- signals, state ---------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._request_stop)
        signal.signal(signal.SIGUSR1, self._request_rollout)

    def _request_stop(self, signum: int, _frame: Any) -> None:
        self.stop_requested += 1
        self.signal_name = signal.Signals(signum).name

    def _request_rollout(self, _signum: int, _frame: Any) -> None:
        self.rollout_requested = True

    def run(self, on_ready: Callable[[dict[str, Any]], None] = lambda _: None) -> None:
        """Start, watch until SIGTERM/SIGINT/SIGHUP, stop; a LocalError comes after the stop.

        A signal once ready is the normal end of `up`; one while starting is an interruption.
        """
        self.install_signal_handlers()
        ready = False
        try:
            self.start()
            ready = True
            on_ready(self.snapshot())
            self.watch()
        except Stopping:
            pass
        finally:
            self.stop()
        if not ready:
            raise LocalError(
                "interrupted while starting; everything `up` had started was stopped",
                exit_code=INTERRUPTED_EXIT,
            )

    def _check(self) -> None:
        if self.stop_requested:
            raise Stopping

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._check()
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    @property
    def url(self) -> str:
        return f"http://localhost:{self.options.port}/"

    def snapshot(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(), "phase": self.phase, "url": self.url,
            "admin_url": self.url + "admin/", "port": self.options.port,
            "project": str(self.layout.project), "service": self.config.service_name,
            "superuser": self.config.superuser.username, "emulator": self.emulator,
            "broker_port": self.broker_port,
            "components": {name: c.as_dict() for name, c in self.components.items()},
            "cron": [entry.as_dict() for entry in self.cron.entries.values()],
            "rollouts": dict(self.rollouts),
        }  # fmt: skip

    def _set(self, name: str, state: str, detail: str = "") -> None:
        component = self.components[name]
        component.state, component.detail = state, detail
        self._publish()

    def _publish(self) -> None:
        snapshot = self.snapshot()
        write_state(self.layout.state, snapshot)
        self.on_change(snapshot)

    # -- start ------------------------------------------------------------------------------

    def start(self) -> None:
        self.layout.create()
        self.lock.acquire()
        check_port_free(self.options.port)
        # Only this machine may connect: the local superuser's password is no secret here.
        if self.config.static.mode == "gcs-cdn":
            self.front = Listener(LOCAL_HOST, self.options.port)
            self.listener = Listener(LOCAL_HOST, 0)
        else:
            self.listener = Listener(LOCAL_HOST, self.options.port)
        secrets = current_secrets(self.layout.secrets, self.config, self.clock())
        self._set("database", "starting")
        database = open_database(self.layout, self.config, secrets, self.options.database_url,
                                 report=self._event, check=self._check)  # fmt: skip
        self.database = database
        self.components["database"].proc = database.proc
        self._set("database", "running", database.description)
        self._check()
        self._set("media", "starting")
        media = prepare_media(self.layout, self.config)
        self.components["media"].proc = media.proc
        self.emulator = media.extra.get(STORAGE_EMULATOR_HOST.name, "")
        self.media = media
        self._set("media", "running", media.describe(self.config))
        self._start_edge(media)
        if self.config.worker.enable_worker:
            self._set(BROKER, "starting")
            broker = start_broker(self.layout, secrets[BROKER_PASSWORD])
            self.components[BROKER].proc = broker.proc
            self.broker_url, self.broker_port = broker.url, broker.port
            self._set(BROKER, "running", broker.description)
        self.target = self._target(secrets)
        for job in JOBS:
            self._run_job(job)
        self._start_web()
        if self.config.worker.enable_worker:
            self._start_worker()
        self.cron.start()
        self.phase = "ready"
        self._publish()

    @property
    def web_port(self) -> int:
        assert self.listener is not None
        return int(self.listener.socket.getsockname()[1])

    def _start_edge(self, media: Media) -> None:
        """With a static bucket, the URL map in front of the web (edge.py)."""
        if self.front is None:
            return
        bucket = StaticBucket(media.emulator, media.static_bucket)
        self.edge = Edge(self.front.socket, self.web_port, bucket).start()

    def _target(self, secrets: dict[str, str]) -> LocalTarget:
        assert self.database is not None and self.media is not None
        return target_for(
            self.config, self.options.port, self.database, self.media, secrets, self.broker_url
        )

    def _run_job(self, job: Job) -> None:
        assert self.target is not None
        self._set(job.name, "running")
        proc = self._spawn(job.name, job.command, self.target.job(job))
        self.components[job.name].proc = proc
        while proc.running():
            self._sleep(0.05)
        if proc.returncode != 0:
            self._set(job.name, "failed", f"exit code {proc.returncode}")
            raise LocalError(
                f"job {job.name} failed with exit code {proc.returncode}; its log: {proc.log_path}",
                detail=tail(proc.log_path),
            )
        self._set(job.name, "done")

    def _spawn(
        self,
        name: str,
        command: tuple[str, ...],
        env: dict[str, str],
        append: bool = False,
        pass_fds: tuple[int, ...] = (),
    ) -> Proc:
        argv = [sys.executable, "manage.py", *command]
        return spawn(name, argv, env=env, cwd=self.layout.project,
                     log_path=self.layout.log(name), append=append, pass_fds=pass_fds)  # fmt: skip

    def _spawn_cron(self, job: Job) -> Proc:
        assert self.target is not None
        return self._spawn(job.name, job.command, self.target.job(job), append=True)

    def _cron_changed(self, entry: CronEntry, state: str) -> None:
        self.components[entry.name].proc = entry.proc
        self._set(entry.name, state, entry.detail())

    def _event(self, message: str) -> None:
        self.on_event(message)  # late-bound: tests and views may replace on_event

    def _start_web(self, append: bool = False) -> None:
        assert self.target is not None
        web = self.components["web"]
        self._set("web", "starting", "waiting for the startup probe " + STARTUP_PROBE.path)
        environment = self.target.service(self.options.port)
        assert self.listener is not None
        sockets = self.listener.for_process()
        serve = ("cloudrun_serve", *sockets.serve_arguments())
        try:
            web.proc = self._spawn("web", serve, environment, append, pass_fds=sockets.fds)
        finally:
            probe_port = sockets.probe_port
            sockets.release()
        probes = self.options.probes
        deadline = time.monotonic() + probes.startup_timeout
        # Its own socket: during a rollout the shared port still reaches the old process.
        while not probe(probe_port, STARTUP_PROBE.path, probes.startup_probe_timeout):
            if not web.proc.running():
                self._set("web", "failed", f"exit code {web.proc.returncode}")
                raise LocalError(
                    f"web exited with code {web.proc.returncode} before its startup probe "
                    f"passed; its log: {web.proc.log_path}",
                    detail=tail(web.proc.log_path),
                )
            if time.monotonic() > deadline:
                web.proc.stop(probes.grace)
                self._set("web", "failed", "startup probe timed out")
                raise LocalError(
                    f"web: startup probe {STARTUP_PROBE.path} did not pass within "
                    f"{probes.startup_timeout:.0f} s; its log: {web.proc.log_path}",
                    detail=tail(web.proc.log_path),
                )
            self._sleep(probes.startup_interval)
        self._set("web", "ready", self.url)

    def _start_worker(self, append: bool = False) -> None:
        """The Celery worker, as the worker pool runs it, with the pool's environment."""
        assert self.target is not None
        argv = [sys.executable, "manage.py", "cloudrun_worker"]
        argv += ["--concurrency", str(self.config.worker.concurrency)]
        worker = self.components[WORKER]
        worker.proc = spawn(WORKER, argv, env=self.target.worker(), cwd=self.layout.project,
                            log_path=self.layout.log(WORKER), append=append)  # fmt: skip
        self.worker_started = time.monotonic()
        self._set(WORKER, "running", f"{self.config.worker.concurrency} processes")

    def _watch_broker(self) -> None:
        """A broker that dies ends `up`, as media does: queued tasks live in it."""
        broker = self.components.get(BROKER)
        proc = broker.proc if broker is not None else None
        if proc is not None and not proc.running():
            self._set(BROKER, "failed", f"exit code {proc.returncode}")
            raise LocalError(
                f"broker exited unexpectedly with code {proc.returncode}; its log: {proc.log_path}",
                detail=tail(proc.log_path),
            )

    def _watch_worker(self) -> None:
        """A worker that exited is started again, after a delay that doubles while it keeps
        exiting (up to MAX_BACKOFF) and resets once it ran for that long."""
        worker = self.components.get(WORKER)
        if worker is None or worker.proc is None or worker.proc.running():
            return
        now = time.monotonic()
        if worker.state != "restarting":
            code = worker.proc.returncode
            worker.restarts += 1
            self.on_event(
                f"worker: exited with code {code}; restarting (restart {worker.restarts})"
            )
            self._set(WORKER, "restarting", f"exited with code {code}")
            if now - self.worker_started >= MAX_BACKOFF:
                self.worker_backoff = 1.0
            self.worker_next_start = now + self.worker_backoff
            self.worker_backoff = min(MAX_BACKOFF, self.worker_backoff * 2)
        if now >= self.worker_next_start:
            self._start_worker(append=True)
            self.worker_next_start = now

    # -- watch ------------------------------------------------------------------------------

    def watch(self) -> None:
        """Until a stop is requested: liveness probes, restarts, dependencies alive."""
        probes = self.options.probes
        failures, backoff = 0, 1.0
        next_probe = time.monotonic() + probes.liveness_period
        while not self.stop_requested:
            self._watch_dependencies()
            self._watch_broker()
            web = self.components["web"]
            reason = ""
            if web.proc is not None and not web.proc.running():
                reason = f"exited with code {web.proc.returncode}"
            elif time.monotonic() >= next_probe:
                next_probe = time.monotonic() + probes.liveness_period
                alive = probe(self.web_port, LIVENESS_PROBE.path, probes.liveness_timeout)
                failures = 0 if alive else failures + 1
                if failures >= probes.liveness_failures:
                    path = LIVENESS_PROBE.path
                    reason = f"liveness probe {path} failed {failures} times in a row"
            if self.rollout_requested and not reason:
                self._roll_web()
                next_probe = time.monotonic() + probes.liveness_period
            elif reason:
                failures = 0
                backoff = self._restart_web(reason, backoff)
                next_probe = time.monotonic() + probes.liveness_period
            else:
                self._watch_worker()
                self.cron.tick()
                time.sleep(0.1)

    def _watch_dependencies(self) -> None:
        """A dead embedded PostgreSQL is started again; media that dies ends `up`."""
        media = self.components["media"].proc
        if media is not None and not media.running():
            self._set("media", "failed", f"exit code {media.returncode}")
            raise LocalError(
                f"media exited unexpectedly with code {media.returncode}; its log: "
                f"{media.log_path}",
                detail=tail(media.log_path),
            )
        database = self.components["database"].proc
        if database is not None and not database.running():
            self._restart_database(database)

    def _restart_database(self, dead: Proc) -> None:
        """Start the embedded server again and wait until it accepts connections (crash
        recovery first); on failure, try again later with a growing delay."""
        assert self.database is not None and self.database.cluster is not None
        component = self.components["database"]
        component.restarts += 1
        reason = _ended(dead.returncode)
        self.on_event(
            f"database: PostgreSQL {reason}; restarting it (restart {component.restarts})"
        )
        self._set("database", "restarting", reason)
        dead.stop(0)  # its backends too: they hold the shared memory a new server needs
        started = time.monotonic()
        try:
            component.proc = self.database.cluster.start(check=self._check)
        except LocalError as error:
            self._set("database", "failed", str(error))
            delay = self.database_backoff
            self.on_event(f"database: restart failed ({error}); next try in {delay:.0f} s")
            self.database_backoff = min(MAX_BACKOFF, delay * 2)
            self._sleep(delay)
            return
        self.database_backoff = 1.0
        self._set("database", "running", self.database.description)
        seconds = time.monotonic() - started
        self.on_event(f"database: accepting connections again after {seconds:.1f} s")

    def _restart_web(self, reason: str, backoff: float) -> float:
        web = self.components["web"]
        web.restarts += 1
        self.on_event(f"web: {reason}; restarting (restart {web.restarts})")
        self._set("web", "restarting", reason)
        if web.proc is not None:
            web.proc.stop(self.options.probes.grace)
        try:
            self._start_web(append=True)
        except LocalError as error:
            self.on_event(f"web: restart failed ({error}); next try in {backoff:.0f} s")
            self._sleep(backoff)
            return min(MAX_BACKOFF, backoff * 2)
        self.on_event(f"web: ready again after restart {web.restarts}")
        return 1.0

    def _roll_web(self) -> None:
        """Move the web service to the current secrets as Cloud Run moves it to a new
        revision: a new process on the same socket, its startup probe, then the old one
        stopped (its requests in flight finish). If the new one fails, the old one stays."""
        self.rollout_requested = False
        number = self.rollouts["started"] + 1
        self.rollouts = {**self.rollouts, "started": number}
        self._publish()  # before the secrets are read: see rollout.roll_out
        web = self.components["web"]
        old = web.proc
        self.on_event("web: starting a new process with the current secrets")
        try:
            self.target = self._target(current_secrets(self.layout.secrets, self.config,
                                                       self.clock()))  # fmt: skip
            self._start_web(append=True)
        except Stopping:
            if old is not None:  # `stop` stops the new process, which is web's now
                old.stop(self.options.probes.grace)
            raise
        except LocalError as error:
            if web.proc is not None and web.proc is not old:
                web.proc.stop(self.options.probes.grace)
            web.proc = old
            self.rollouts = {**self.rollouts, "failed": number, "error": str(error)}
            self.on_event(f"web: the new process failed ({error}); the old one keeps serving")
            self._set("web", "ready", self.url)
            return
        if old is not None:
            old.stop(self.options.probes.grace)
        self.rollouts = {**self.rollouts, "done": number, "error": ""}
        self.on_event("web: moved to the new process; the old one stopped")
        self._publish()

    # -- stop -------------------------------------------------------------------------------

    def stop(self) -> None:
        """Everything, in reverse order of start; SIGKILL after the grace period."""
        if self.lock.handle is None:
            return  # another `up` owns this project's processes
        self.phase = "stopping"
        if self.signal_name:
            self.on_event(f"{self.signal_name}: stopping everything in reverse order")
        grace = 1.0 if self.stop_requested > 1 else self.options.probes.grace
        if self.edge is not None:
            self.edge.close()
        for listener in (self.front, self.listener):  # new connections are refused from now on
            if listener is not None:
                listener.close()
        for name in reversed(self.order):
            component = self.components[name]
            if component.proc is not None and component.proc.running():
                self._set(name, "stopping")
                # PostgreSQL's fast shutdown may take longer than a web server's.
                component.proc.stop(grace * 3 if name == "database" else grace)
                self._set(name, "stopped")
            elif component.state in ("running", "ready", "starting", "scheduled"):
                self._set(name, "stopped")
        self.phase = "stopped"
        self._publish()
        self.lock.release()


def _ended(returncode: int | None) -> str:
    """How a process ended, in words: "was killed by SIGKILL", "exited with code 1"."""
    if returncode is not None and returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"
