"""Fakes of the cloud package's external boundaries (its Protocols), for tests.

Every fake writes to one shared journal, so a test can read the order of calls across
boundaries (preflight, then build, then the update). FakeEngine runs the real program
under Pulumi's mocks, as `plan` does, and plays the update in declaration order: a
resource fails where the test says, and nothing that depends on it (explicitly, or as a
child) is touched afterwards. That is how the engine keeps traffic from moving.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pulumi

from django_cloudrun.cloud.clients import Clients
from django_cloudrun.cloud.errors import CloudError
from django_cloudrun.cloud.events import OnEvent, ResourceChange
from django_cloudrun.cloud.interfaces import (
    CertificateState,
    EngineFailed,
    ExecutionState,
    IamResource,
    LogLine,
    OrgPolicy,
    ProjectInfo,
    ResourceFailure,
    ServiceState,
    StackResource,
)  # fmt: skip
from django_cloudrun.cloud.stack import Program, StackSettings
from django_cloudrun.infra.mocks import OfflineMocks

PROJECT_NUMBER = "123456789012"
DIGEST = "sha256:" + "ab" * 32
T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

Key = tuple[str, str]


@dataclass
class Declared:
    """One run of a program: each resource's URN, parent and explicit dependencies."""

    order: list[str] = field(default_factory=list)  # URNs, in declaration order
    types: dict[str, str] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)
    depends_on: dict[str, list[str]] = field(default_factory=dict)
    custom: set[str] = field(default_factory=set)
    inputs: dict[Key, dict[str, Any]] = field(default_factory=dict)

    def urn_of(self, type_: str, name: str) -> str:
        return next(u for u in self.order if self.types[u] == type_ and u.endswith(f"::{name}"))


class _Recorder:
    """A transformation that computes URNs as Pulumi does and records dependencies."""

    def __init__(self, stack: StackSettings, declared: Declared) -> None:
        self.stack = stack
        self.declared = declared
        self.urns: dict[int, str] = {}
        self.qualified: dict[int, str] = {}

    def __call__(self, args: pulumi.ResourceTransformationArgs) -> None:
        parent = args.opts.parent if args.opts is not None else None
        qualified = args.type_
        if parent is not None and id(parent) in self.qualified:
            qualified = f"{self.qualified[id(parent)]}${args.type_}"
        stack, project = self.stack.stack_name, self.stack.project_name
        urn = f"urn:pulumi:{stack}::{project}::{qualified}::{args.name}"
        self.urns[id(args.resource)] = urn
        self.qualified[id(args.resource)] = qualified
        declared = self.declared
        declared.order.append(urn)
        declared.types[urn] = args.type_
        if parent is not None and id(parent) in self.urns:
            declared.parents[urn] = self.urns[id(parent)]
        deps = args.opts.depends_on if args.opts is not None else None
        declared.depends_on[urn] = [
            self.urns[id(dep)]
            for dep in (deps if isinstance(deps, list) else [])
            if id(dep) in self.urns
        ]
        if isinstance(args.resource, pulumi.CustomResource):
            declared.custom.add(urn)


def declare(program: Program, stack: StackSettings) -> Declared:
    """Run `program` under Pulumi's mocks (DESIGN.md's rules) and record what it declared."""
    declared = Declared()
    mocks = OfflineMocks(
        project=stack.gcp_project, region=stack.region, project_number=PROJECT_NUMBER
    )
    pulumi.runtime.set_mocks(
        mocks, project=stack.project_name, stack=stack.stack_name, preview=False
    )
    recorder = _Recorder(stack, declared)

    @pulumi.runtime.test
    def run() -> None:
        program(pulumi.ResourceOptions(transformations=[recorder]))

    run()
    declared.inputs = dict(mocks.inputs)
    return declared


class FakeEngine:
    def __init__(
        self, journal: list[tuple[Any, ...]], *, fail: str | None = None, message: str = ""
    ) -> None:
        self.journal = journal
        self.fail = fail  # a resource's logical name: its operation fails with `message`
        self.message = message
        self.fail_times: int | None = None  # fail only the first N updates (then succeed)
        self.fail_destroy: ResourceFailure | None = None
        self.state: dict[str, str] = {}  # URN -> type
        self.runs: list[tuple[Program, Declared, tuple[str, ...]]] = []
        self.touched: list[str] = []  # URNs given an operation, in order, over every update
        self.inputs: dict[Key, dict[str, Any] | None] = {}  # each resource's, as last applied

    def up(
        self,
        stack: StackSettings,
        program: Program,
        on_event: OnEvent,
        *,
        targets: Sequence[str] = (),
    ) -> Mapping[str, Any]:
        self.journal.append(("engine.up", tuple(targets)))
        declared = declare(program, stack)
        self.runs.append((program, declared, tuple(targets)))
        for urn in targets:  # Pulumi refuses a target whose parent is neither there nor targeted
            parent = declared.parents.get(urn)
            assert parent is None or parent in targets or parent in self.state, (urn, parent)
        blocked: set[str] = set()
        for urn in declared.order:
            if targets and urn not in targets:
                continue
            needs = [
                *declared.depends_on[urn],
                *([declared.parents[urn]] if urn in declared.parents else []),
            ]
            if any(dep in blocked for dep in needs):
                blocked.add(urn)
                continue
            type_ = declared.types[urn]
            op = "update" if urn in self.state else "create"
            if urn not in declared.custom:
                self.state[urn] = type_
                continue
            key = (type_, urn.rsplit("::", 1)[-1])
            if op == "update" and self.inputs.get(key) == declared.inputs.get(key):
                op = "same"  # its inputs did not change: the engine leaves it alone
            self.touched.append(urn)
            on_event(ResourceChange(urn, type_, op, "started"))
            if self._failing() and urn.endswith(f"::{self.fail}"):
                on_event(ResourceChange(urn, type_, op, "failed"))
                blocked.add(urn)
                continue
            self.state[urn] = type_
            self.inputs[key] = declared.inputs.get(key)
            on_event(ResourceChange(urn, type_, op, "done"))
        if self.fail_times is not None and self.fail is not None:
            self.fail_times -= 1
        if blocked:
            failed = [u for u in blocked if u.endswith(f"::{self.fail}")]
            raise EngineFailed(
                "update failed",
                [ResourceFailure(u, declared.types[u], self.message) for u in failed],
            )
        service = program.config.service_name
        outputs = {"url": f"https://{service}-{PROJECT_NUMBER}.{stack.region}.run.app"}
        if program.config.load_balanced:  # the addresses the offline mocks give
            outputs.update(edge_ipv4="203.0.113.10", edge_ipv6="2001:db8::1")
        return outputs

    def _failing(self) -> bool:
        return self.fail is not None and (self.fail_times is None or self.fail_times > 0)

    def resources(self, stack: StackSettings) -> list[StackResource]:
        self.journal.append(("engine.resources",))
        return [StackResource(urn, type_) for urn, type_ in self.state.items()]

    def destroy(self, stack: StackSettings, on_event: OnEvent) -> None:
        self.journal.append(("engine.destroy",))
        if self.fail_destroy is not None:
            raise EngineFailed("destroy failed", [self.fail_destroy])
        self.state.clear()


@dataclass
class FakeProbe:
    journal: list[tuple[Any, ...]]
    cli: str | None = "/usr/local/bin/pulumi"
    credentials: str | None = None
    info: ProjectInfo | CloudError = field(default_factory=lambda: ProjectInfo(True, True))
    disabled: set[str] = field(default_factory=set)
    apis_error: CloudError | None = None  # Service Usage's answer instead of the APIs
    policies: dict[str, OrgPolicy | CloudError] = field(default_factory=dict)  # by constraint
    triggers: list[str] | CloudError = field(default_factory=list)  # OWNER/NAME built
    connections: dict[str, list[str]] = field(default_factory=dict)  # network -> ranges

    def pulumi_cli(self) -> str | None:
        self.journal.append(("probe.pulumi_cli",))
        return self.cli

    def credentials_problem(self) -> str | None:
        self.journal.append(("probe.credentials",))
        return self.credentials

    def project(self, project: str) -> ProjectInfo:
        self.journal.append(("probe.project", project))
        if isinstance(self.info, CloudError):
            raise self.info
        return self.info

    def enabled_apis(self, project: str, apis: Sequence[str]) -> set[str]:
        self.journal.append(("probe.apis", project))
        if self.apis_error is not None:
            raise self.apis_error
        return set(apis) - self.disabled

    def org_policy(self, project: str, constraint: str) -> OrgPolicy:
        self.journal.append(("probe.org_policy", constraint))
        found = self.policies.get(constraint, OrgPolicy())
        if isinstance(found, CloudError):
            raise found
        return found

    def github_triggers(self, project: str) -> list[str]:
        self.journal.append(("probe.github_triggers", project))
        if isinstance(self.triggers, CloudError):
            raise self.triggers
        return self.triggers

    def private_connections(self, network: str) -> list[str]:
        self.journal.append(("probe.private_connections", network))
        return self.connections.get(network, [])


@dataclass
class FakeStateStore:
    journal: list[tuple[Any, ...]]
    buckets: set[str] = field(default_factory=set)

    def bucket_exists(self, bucket: str) -> bool:
        return bucket in self.buckets

    def create_bucket(self, bucket: str, *, location: str) -> None:
        self.journal.append(("state.create_bucket", bucket, location))
        self.buckets.add(bucket)


@dataclass
class FakeBuilder:
    journal: list[tuple[Any, ...]]
    error: CloudError | None = None
    errors_left: int | None = None  # raise `error` only this many times
    dockerfile: str = ""  # what the last build built
    bucket: str = ""  # where its context went
    service_account: str = ""  # what it ran as

    def build(
        self,
        source: Path,
        image: str,
        on_event: OnEvent,
        *,
        bucket: str,
        service_account: str,
        dockerfile: str = "Dockerfile",
    ) -> str:
        self.journal.append(("builder.build", source, image))
        self.dockerfile = dockerfile
        self.bucket = bucket
        self.service_account = service_account
        if self.error is not None and self.errors_left != 0:
            if self.errors_left is not None:
                self.errors_left -= 1
            raise self.error
        return f"{image.rsplit(':', 1)[0]}@{DIGEST}"


@dataclass
class FakeIam:
    """Service accounts by (project, id); each resource's policy as member -> roles."""

    journal: list[tuple[Any, ...]]
    accounts: set[tuple[str, str]] = field(default_factory=set)
    policies: dict[IamResource, dict[str, set[str]]] = field(default_factory=dict)

    def account_exists(self, project: str, account: str) -> bool:
        self.journal.append(("iam.account_exists", project, account))
        return (project, account) in self.accounts

    def roles(self, member: str, resource: IamResource) -> set[str]:
        self.journal.append(("iam.roles", member, resource))
        return set(self.policies.get(resource, {}).get(member, set()))


@dataclass
class FakeRun:
    name: str
    outcome: ExecutionState
    polls_left: int = 2

    def done(self) -> bool:
        self.polls_left -= 1
        return self.polls_left < 0

    def result(self) -> ExecutionState:
        return self.outcome


@dataclass
class FakeCloudRun:
    journal: list[tuple[Any, ...]]
    state: ServiceState | None = None
    history: dict[str, list[ExecutionState]] = field(default_factory=dict)
    outcome: ExecutionState | CloudError = field(
        default_factory=lambda: ExecutionState("x-migrate-abc12", "x-migrate", T0, T0, True, 0)
    )

    def service(self, name: str) -> ServiceState | None:
        self.journal.append(("run.service", name))
        return self.state

    def executions(self, job: str, limit: int) -> list[ExecutionState]:
        self.journal.append(("run.executions", job, limit))
        return self.history.get(job, [])[:limit]

    def start_job(self, job: str, args: Sequence[str]) -> FakeRun:
        self.journal.append(("run.start_job", job, tuple(args)))
        if isinstance(self.outcome, CloudError):
            raise self.outcome
        return FakeRun(self.outcome.name, self.outcome)


@dataclass
class FakeLogs:
    """Answers each filter with the lines whose key is part of it; grows while polled."""

    journal: list[tuple[Any, ...]]
    lines: dict[str, list[LogLine]] = field(default_factory=dict)

    def read(self, filter: str, *, limit: int) -> list[LogLine]:
        self.journal.append(("logs.read", filter, limit))
        found = [line for key, lines in self.lines.items() if key in filter for line in lines]
        return found[-limit:]


def line(seconds: int, message: str, severity: str = "INFO") -> LogLine:
    return LogLine(T0 + timedelta(seconds=seconds), severity, message)


@dataclass
class FakeCertificates:
    """The project's managed certificates, as the test sets them."""

    journal: list[tuple[Any, ...]]
    found: list[CertificateState] = field(default_factory=list)

    def managed(self, prefix: str) -> list[CertificateState]:
        self.journal.append(("certificates.managed", prefix))
        return [state for state in self.found if state.name.startswith(prefix)]


@dataclass
class Fakes:
    journal: list[tuple[Any, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        j = self.journal
        self.probe = FakeProbe(j)
        self.state = FakeStateStore(j)
        self.engine = FakeEngine(j)
        self.builder = FakeBuilder(j)
        self.run = FakeCloudRun(j)
        self.logs = FakeLogs(j)
        self.iam = FakeIam(j)
        self.certificates = FakeCertificates(j)

    @property
    def clients(self) -> Clients:
        return Clients(
            probe=self.probe,
            state=self.state,
            engine=self.engine,
            builder=self.builder,
            run=self.run,
            logs=self.logs,
            iam=self.iam,
            certificates=self.certificates,
            sleep=self.sleep,
        )

    def sleep(self, seconds: float) -> None:
        self.journal.append(("sleep", seconds))

    def factory(self, project: str, region: str) -> Clients:
        self.journal.append(("clients", project, region))
        return self.clients

    def calls(self) -> list[str]:
        """The journal's call names, consecutive repeats collapsed."""
        names = [entry[0] for entry in self.journal]
        return [n for i, n in enumerate(names) if i == 0 or names[i - 1] != n]
