"""`doctor`: deploy's preflight, then what only the live project can tell, each with its fix.

After the preflight checks (tools, credentials, project, billing, every API the
configuration needs), it reads what would make a deployment fail later, or be refused:
the build account's roles, the GitHub repository's connection for the trigger, the
organization policy a public service depends on, and Private Services Access for a Cloud
SQL private IP. A check that cannot read what it needs says so and is not counted as failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .build_account import grant_command, missing_grants
from .clients import Clients
from .errors import CloudError
from .interfaces import PrerequisiteProbe
from .preflight import Check, checks
from .stack import CloudTarget

__all__ = [
    "DOMAIN_RESTRICTION",
    "REQUIRE_INVOKER_IAM",
    "doctor_checks",
]

# The managed constraint that keeps every Cloud Run service's invoker IAM check on, so a
# service cannot be made public by turning it off (cloudrunv2.ServiceArgs.invoker_iam_disabled;
# https://cloud.google.com/run/docs/securing/managing-access#invoker_check).
REQUIRE_INVOKER_IAM = "run.managed.requireInvokerIam"
# Domain-restricted sharing: only members of the listed customers may be granted roles, so
# not allUsers (https://cloud.google.com/resource-manager/docs/organization-policy/restricting-domains).
DOMAIN_RESTRICTION = "iam.allowedPolicyMemberDomains"
# Enforced, no bucket may be made public by IAM
# (https://cloud.google.com/storage/docs/public-access-prevention).
PUBLIC_ACCESS_PREVENTION = "storage.publicAccessPrevention"
CONNECT_GITHUB = "https://console.cloud.google.com/cloud-build/triggers;region=global/connect"

_Lazy = Callable[[], Check]  # a live check, run only once the project is there


def doctor_checks(clients: Clients, target: CloudTarget) -> Iterator[Check]:
    """Preflight's checks, then the live project's; those are skipped without a project."""
    found = False
    for check in checks(clients.probe, target, state=clients.state):
        found = found or (check.name == "Project" and check.ok is True)
        yield check
    for name, run in _live(clients, target):
        yield run() if found else Check(name, None, "not checked: needs the project")


def _live(clients: Clients, target: CloudTarget) -> Iterator[tuple[str, _Lazy]]:
    config, probe = target.config, clients.probe
    yield "Build account", lambda: _build_account(clients, target)
    if config.build.github_repository is not None:
        yield "GitHub", lambda: _github(probe, target, str(config.build.github_repository))
    if config.public:
        yield "Public access", lambda: _public_access(probe, target.project)
    if config.database.private_ip:
        yield "Private IP", lambda: _private_services(probe, target)
    if config.static.mode == "gcs-cdn":
        yield "Static bucket", lambda: _public_static(probe, target.project)


def _build_account(clients: Clients, target: CloudTarget) -> Check:
    from ..infra.build import build_account

    account = build_account(target.config, target.project)
    member = f"serviceAccount:{account.email}"
    try:
        if not clients.iam.account_exists(target.project, account.account_id):
            return Check(
                "Build account",
                True,
                f"{account.email} does not exist yet: deploy creates it with its roles",
            )
        missing = missing_grants(clients.iam, target, member)
    except CloudError as error:
        return Check("Build account", None, f"not checked: {error.message}")
    if not missing:
        return Check("Build account", True, f"{account.email} holds its roles")
    lacking = ", ".join(f"{grant.role} on {grant.resource.name}" for grant in missing)
    return Check(
        "Build account",
        False,
        f"{account.email} lacks {lacking}: builds need it to read their sources, push the "
        "image and write their logs",
        " && ".join(grant_command(grant, member, target.project) for grant in missing),
    )


def _github(probe: PrerequisiteProbe, target: CloudTarget, repository: str) -> Check:
    """A 1st-gen GitHub trigger needs the repository connected through the Cloud Build GitHub
    App first, else "Repository mapping does not exist" (cloudbuild v1 BuildTrigger.github).
    No API lists those connections: a trigger of the project that builds the repository
    proves it connected; without one, doctor can only say so."""
    try:
        built = probe.github_triggers(target.project)
    except CloudError as error:
        return Check("GitHub", None, f"not checked: {error.message}")
    if repository.lower() in (name.lower() for name in built):
        return Check("GitHub", True, f"{repository} is connected (a trigger builds it)")
    return Check(
        "GitHub",
        None,
        f"cannot tell whether {repository} is connected to Cloud Build: Google's API does not "
        "list the GitHub App's connections. Unless it is, deploy's trigger is refused "
        '("Repository mapping does not exist") and the service keeps its previous revision',
        f"{CONNECT_GITHUB}?project={target.project}",
    )


def _public_access(probe: PrerequisiteProbe, project: str) -> Check:
    """A public service turns its invoker IAM check off, which Google recommends where
    domain-restricted sharing refuses allUsers (https://cloud.google.com/run/docs/
    authenticating/public); run.managed.requireInvokerIam forbids exactly that."""
    try:
        require = probe.org_policy(project, REQUIRE_INVOKER_IAM)
        domains = probe.org_policy(project, DOMAIN_RESTRICTION)
    except CloudError as error:
        return Check("Public access", None, f"not checked: {error.message}")
    if require.enforced:
        return Check(
            "Public access",
            False,
            f"the organization policy {REQUIRE_INVOKER_IAM} is enforced on project {project}: "
            "the service cannot turn its invoker IAM check off, so it cannot be public; set "
            "public = false in cloudrun.toml, or ask an organization policy administrator to "
            "exempt the project",
        )
    restricted = "" if domains.allow_all else " (domain-restricted sharing refuses allUsers)"
    return Check(
        "Public access",
        True,
        f"the invoker IAM check may be turned off{restricted}",
    )


def _public_static(probe: PrerequisiteProbe, project: str) -> Check:
    """static.mode gcs-cdn grants objectViewer to allUsers on the static bucket, which either
    organization policy refuses; deploy would stop at that grant."""
    try:
        prevention = probe.org_policy(project, PUBLIC_ACCESS_PREVENTION)
        domains = probe.org_policy(project, DOMAIN_RESTRICTION)
    except CloudError as error:
        return Check("Static bucket", None, f"not checked: {error.message}")
    refusing = [
        name
        for name, refuses in (
            (PUBLIC_ACCESS_PREVENTION, prevention.enforced),
            (DOMAIN_RESTRICTION, not domains.allow_all),
        )
        if refuses
    ]
    if refusing:
        return Check(
            "Static bucket",
            False,
            f"the organization policy {' and '.join(refusing)} on project {project} refuses "
            'the static bucket\'s public grant (allUsers); set static.mode = "whitenoise", or '
            "ask an organization policy administrator to exempt the project",
        )
    return Check("Static bucket", True, "the static bucket may be readable by allUsers")


def _private_services(probe: PrerequisiteProbe, target: CloudTarget) -> Check:
    """Cloud SQL's private IP lives in a range reserved on the network for Google's services,
    reached through a servicenetworking connection
    (https://cloud.google.com/sql/docs/postgres/configure-private-services-access). With
    database.private_services_access = "create" deploy makes it; "existing" expects it."""
    path = target.config.vpc_paths(target.project).network
    if path is None:
        return Check("Private IP", None, "not checked: vpc.network is not set")
    try:
        ranges = probe.private_connections(path)
    except CloudError as error:
        return Check("Private IP", None, f"not checked: {error.message}")
    creates = target.config.database.private_services_access == "create"
    if ranges:
        unless_ours = (
            "; unless this app's deploy made it, set database.private_services_access = "
            '"existing", since creating a second one fails'
            if creates
            else ""
        )
        return Check(
            "Private IP",
            True,
            f"Private Services Access on {path} ({', '.join(ranges)}){unless_ours}",
        )
    if creates:
        return Check(
            "Private IP", True, f"no Private Services Access on {path} yet: deploy creates it"
        )
    name, owner = path.rsplit("/", 1)[-1], path.split("/")[1]
    reserved = f"google-managed-services-{name}"
    return Check(
        "Private IP",
        False,
        f"no Private Services Access on {path}, which database.private_services_access = "
        '"existing" expects: Cloud SQL\'s private IP needs a reserved range and a connection '
        'to servicenetworking.googleapis.com there (or set it to "create")',
        f"gcloud compute addresses create {reserved} --global --purpose=VPC_PEERING "
        f"--prefix-length=16 --network={name} --project {owner} && gcloud services "
        f"vpc-peerings connect --service=servicenetworking.googleapis.com "
        f"--ranges={reserved} --network={name} --project {owner}",
    )
