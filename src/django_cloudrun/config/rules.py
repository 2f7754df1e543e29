"""Validated string types; each states its rule in words for errors and the reference."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from ..contract import ADMIN_ROLE, CONTRACT, Scope
from .cron import CRON_RULE, cron_problem
from .errors import fail, show
from .platform import (
    CLOUD_RUN_REGIONS,
    REGIONS_SOURCE,
    REGIONS_URL,
    backup_problem,
    branch_pattern_problem,
    close_region,
    path_problem,
    tier_problem,
)

__all__ = [
    "SERVICE_NAME_RULE",
    "AbsolutePath",
    "BackupSchedule",
    "BranchPattern",
    "BucketSuffix",
    "CronJobName",
    "CronSchedule",
    "DbTier",
    "DjangoUsername",
    "DottedModule",
    "CeleryApp",
    "RelativePath",
    "Email",
    "EnvName",
    "GithubRepository",
    "Hostname",
    "ManageCommand",
    "PgIdentifier",
    "PgUser",
    "ProjectId",
    "StateBackend",
    "SecretsProvider",
    "Region",
    "ConnectorRef",
    "NetworkRef",
    "SubnetRef",
    "Rule",
    "SecretId",
    "TenantId",
    "UrlPath",
    "duplicates",
    "environment_name_problem",
    "matches",
    "service_name_ok",
]


@dataclass(frozen=True)
class Rule:
    """Annotated metadata that checks a value after its type is validated."""

    text: str  # the rule as the reference states it: "must be <text>"
    problem: Callable[[Any], str | None]  # the error text for a bad value, None if fine

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def _check(self, value: Any) -> Any:
        problem = self.problem(value)
        if problem is not None:
            raise fail(problem)
        return value


def matches(pattern: str, text: str) -> Rule:
    compiled = re.compile(pattern)

    def problem(value: str) -> str | None:
        return None if compiled.fullmatch(value) else f"must be {text}, got {show(value)}"

    return Rule(text, problem)


# An environment's name is its Pulumi stack's: "Stack names may only contain alphanumeric
# characters, hyphens, underscores, or periods" (https://www.pulumi.com/docs/iac/concepts/stacks/),
# at most 100 of them; the state backends keep the name in object keys and URLs, so ASCII.
_ENVIRONMENT_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


def environment_name_problem(name: str) -> str | None:
    if _ENVIRONMENT_NAME.fullmatch(name):
        return None
    return (
        "must be 1-100 ASCII letters, digits, hyphens, underscores or periods (it names the "
        f"deployment's Pulumi stack), such as staging or prod-eu, got {show(name)}"
    )


def duplicates(values: Sequence[Any]) -> list[int]:
    """Indexes of items equal to an earlier item."""
    return [index for index, value in enumerate(values) if value in values[:index]]


def _absolute_path(value: str) -> str | None:
    path = PurePosixPath(value)
    fine = path.is_absolute() and path != PurePosixPath("/") and ".." not in path.parts
    if fine and not any(char.isspace() for char in value):
        return None
    return f"must be {_ABSOLUTE_PATH_RULE}, got {show(value)}"


_ABSOLUTE_PATH_RULE = "an absolute path other than / without .. or spaces, such as /app/media"

# Cloud Run and the contract set these; a user value would be overwritten or break the app.
# The image's variables are the project's to override, and the local ones never reach Cloud Run.
_RESERVED = {var.name: var for var in CONTRACT if var.scope not in (Scope.IMAGE, Scope.LOCAL)}


def _env_name(value: str) -> str | None:
    if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", value):
        return "must be upper-case letters, digits and underscores, not starting with a digit"
    var = _RESERVED.get(value)
    if var is None:
        return None
    owner = "Cloud Run" if var.scope is Scope.PLATFORM else "django-cloudrun"
    return f"reserved: {owner} sets it ({var.meaning.rstrip('.')})"


def _branch_pattern(value: str) -> str | None:
    if not value:
        return "must not be empty: it would match every branch"
    return branch_pattern_problem(value)


_REGION_SHAPE = re.compile(r"[a-z]+-[a-z]+[0-9]+")
_REGION_RULE = "a Cloud Run region such as us-central1"


def _region(value: str) -> str | None:
    if not _REGION_SHAPE.fullmatch(value):
        return f"must be {_REGION_RULE}, got {show(value)}"
    if value in CLOUD_RUN_REGIONS:
        return None
    close = close_region(value)
    hint = f"did you mean {close}? " if close else ""
    return f"{show(value)} is not a Cloud Run region; {hint}regions: {REGIONS_SOURCE}"


def _pg_user(value: str) -> str | None:
    if value == ADMIN_ROLE:
        # db-init connects as the administrator to create this role; the application must
        # never hold the administrator's rights.
        return (
            f"{show(value)} is Cloud SQL's administrator, which db-init uses; the application "
            "connects as a role of its own, such as django"
        )
    return None


def _hostname(value: str) -> str | None:
    labels = value.split(".")
    label = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
    if len(value) <= 253 and len(labels) >= 2 and all(label.fullmatch(x) for x in labels):
        return None
    hint = "; write the host name only, without scheme or path" if "/" in value else ""
    return f"must be {_HOSTNAME_RULE}, got {show(value)}{hint}"


_HOSTNAME_RULE = "a lowercase host name such as www.example.com"


def _manage_command(value: str) -> str | None:
    try:
        words = shlex.split(value)  # how cron jobs split it into arguments
    except ValueError as error:  # "No closing quotation"
        return f"is not a valid command line ({str(error).lower()}), got {show(value)}"
    if not words:
        return "must not be empty"
    if words[0] in {"python", "python3", "manage.py", "./manage.py", "django-admin"}:
        return f"write the command without {words[0]!r}, e.g. 'clearsessions', got {show(value)}"
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", words[0]):
        return f"must start with a manage.py command name such as clearsessions, got {show(value)}"
    return None


SERVICE_NAME_RULE = (
    "lowercase letters, digits and hyphens, starting with a letter, "
    "not ending with a hyphen, at most 49 characters"
)


def service_name_ok(name: str) -> bool:
    return re.fullmatch(r"[a-z]([a-z0-9-]{0,47}[a-z0-9])?", name) is not None


ProjectId = Annotated[
    str,
    matches(
        r"[a-z][a-z0-9-]{4,28}[a-z0-9]",
        "a Google Cloud project id: 6-30 lowercase letters, digits or hyphens, "
        "starting with a letter and not ending with a hyphen",
    ),
]
Region = Annotated[str, Rule(f"{_REGION_RULE}, as listed at {REGIONS_URL}", _region)]
TenantId = Annotated[str, matches(r"[a-z0-9-]{1,20}", "1-20 lowercase letters, digits or hyphens")]


def _path_rule(kind: str, shape: str) -> Rule:
    return Rule(
        f"a name (lowercase letters, digits, hyphens) or a path {shape}",
        lambda value: path_problem(kind, value),
    )


NetworkRef = Annotated[str, _path_rule("network", "projects/PROJECT/global/networks/NAME")]
SubnetRef = Annotated[str, _path_rule("subnet", "projects/PROJECT/regions/REGION/subnetworks/NAME")]
ConnectorRef = Annotated[
    str, _path_rule("connector", "projects/PROJECT/locations/REGION/connectors/NAME")
]
DbTier = Annotated[
    str,
    Rule(
        "db-f1-micro, db-g1-small or db-custom-CPUS-MEMORY_MIB (1 or an even number of vCPUs "
        "up to 96; memory a multiple of 256 MiB, 0.9-6.5 GiB per vCPU, at least 3840 MiB)",
        tier_problem,
    ),
]
PgIdentifier = Annotated[
    str,
    matches(
        r"[a-z_][a-z0-9_]{0,62}",
        "a PostgreSQL name: 1-63 lowercase letters, digits or underscores, "
        "not starting with a digit",
    ),
]
PgUser = Annotated[
    PgIdentifier, Rule(f"a role other than the administrator {ADMIN_ROLE!r}", _pg_user)
]
CronSchedule = Annotated[str, Rule(CRON_RULE, cron_problem)]
BackupSchedule = Annotated[
    CronSchedule, Rule("once a day on the hour, '0 H * * *' (UTC)", backup_problem)
]
BucketSuffix = Annotated[
    str,
    matches(
        r"[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?",
        "1-32 lowercase letters, digits or hyphens, not starting or ending with a hyphen",
    ),
]
AbsolutePath = Annotated[str, Rule(_ABSOLUTE_PATH_RULE, _absolute_path)]
DjangoUsername = Annotated[
    str, matches(r"[\w.@+-]{1,150}", "1-150 letters, digits or @ . + - _ (Django's rule)")
]
RelativePath = Annotated[
    str,
    matches(
        r"(?!/)(?!.*(^|/)\.\.(/|$))[A-Za-z0-9._/-]+",
        "a path relative to the project (cloudrun.toml's directory) without .., such as "
        "Dockerfile or docker/production.Dockerfile",
    ),
]
DottedModule = Annotated[
    str,
    matches(
        r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*",
        "a dotted Python module path such as config.settings.production",
    ),
]
CeleryApp = Annotated[
    str,
    matches(
        r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:[A-Za-z_][A-Za-z0-9_]*)?",
        "a module or module:attribute as `celery -A` takes it, such as mysite or mysite.celery:app",
    ),
]
Email = Annotated[
    str, matches(r"[^@\s]+@[^@\s]+\.[^@\s]+", "an email address such as ops@example.com")
]
EnvName = Annotated[
    str,
    Rule(
        "upper-case letters, digits and underscores, not starting with a digit, "
        "and not a name django-cloudrun or Cloud Run sets",
        _env_name,
    ),
]
SecretId = Annotated[
    str,
    matches(
        r"[a-zA-Z0-9_-]{1,255}",
        "a Secret Manager secret id: 1-255 letters, digits, hyphens or underscores",
    ),
]
CronJobName = Annotated[
    str,
    matches(
        r"[a-z]([a-z0-9-]{0,38}[a-z0-9])?",
        "1-40 lowercase letters, digits or hyphens, starting with a letter, "
        "not ending with a hyphen",
    ),
]
ManageCommand = Annotated[
    str, Rule("a manage.py command line without 'python manage.py'", _manage_command)
]
GithubRepository = Annotated[
    str, matches(r"[A-Za-z0-9-]+/[A-Za-z0-9._-]+", "a GitHub repository as owner/name")
]
BranchPattern = Annotated[
    str,
    Rule(
        "a non-empty RE2 regular expression, the syntax Cloud Build matches branches with "
        "(no lookaround or backreferences)",
        _branch_pattern,
    ),
]
StateBackend = Annotated[
    str,
    matches(
        r"(gs|s3|azblob)://[a-z0-9][a-z0-9._/-]*|file://\S+|https://\S+",
        "a Pulumi state backend URL such as gs://BUCKET, file://~/.pulumi-state or "
        "https://api.pulumi.com",
    ),
]
SecretsProvider = Annotated[
    str,
    matches(
        r"passphrase|gcpkms://projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+",
        "passphrase or gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K",
    ),
]
Hostname = Annotated[str, Rule(_HOSTNAME_RULE, _hostname)]
UrlPath = Annotated[
    str,
    matches(
        r"/[A-Za-z0-9._~/-]*",
        "a URL path starting with /, of letters, digits and . _ ~ / -, such as /admin/login/",
    ),
]
