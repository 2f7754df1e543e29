"""`plan`: run the program offline under mocks and report what it would create.

No credentials, no Pulumi CLI, no network: the program runs in this process against
OfflineMocks. The result is plain data: every resource with its inputs, the IAM matrix,
the connection budget and warnings. Secret values never leave this module: mocked random
passwords, secret inputs and secret-looking plain variables all read "[redacted]".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any, cast

import pulumi
from pulumi.runtime.rpc import is_rpc_secret

from ..config import CloudRunConfig, looks_secret, secret_warnings
from ..contract import REDACTED
from .cost import edge_cost
from .mocks import Key, OfflineMocks, Recorder
from .monitoring import uptime_possible
from .program import PLACEHOLDER_PROJECT, build, project_of

__all__ = [
    "IAM_TYPES",
    "REDACTED",
    "flatten",
    "plan",
    "redact",
    "summary",
    "warnings",
]

PLAN_PROJECT_NUMBER = "PROJECT_NUMBER"  # shown in URLs: the real one is looked up at deploy
# Inputs that hold a secret whatever their value looks like.
SECRET_INPUTS = frozenset(
    {
        "secretData",
        "secretDataWo",
        "password",
        "passwordWo",
        "rootPassword",
        "result",
        "sensitiveLabels",
    }
)
# IAM member types: (what the grant is on, the input naming it).
IAM_TYPES = {
    "gcp:projects/iAMMember:IAMMember": ("project", "project"),
    "gcp:secretmanager/secretIamMember:SecretIamMember": ("secret", "secretId"),
    "gcp:storage/bucketIAMMember:BucketIAMMember": ("bucket", "bucket"),
    "gcp:serviceaccount/iAMMember:IAMMember": ("service account", "serviceAccountId"),
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": ("service", "name"),
    "gcp:cloudrunv2/jobIamMember:JobIamMember": ("job", "name"),
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": ("repository", "repository"),
}
# Inputs worth a column in the table, as glob patterns over flattened paths.
IMPORTANT = {
    "gcp:cloudrunv2/service:Service": [
        "name",
        "ingress",
        "invokerIamDisabled",
        "template.serviceAccount",
        "template.scaling.*",
        "template.containers[0].resources.*",
        "template.timeout",
        "template.maxInstanceRequestConcurrency",
        "template.executionEnvironment",
        "template.containers[0].volumeMounts[*].mountPath",
        "template.vpcAccess.*",
        "template.volumes[*].gcs.mountOptions",
    ],
    "gcp:cloudrunv2/workerPool:WorkerPool": [
        "name",
        "scaling.*",
        "template.serviceAccount",
        "template.containers[0].commands",
        "template.containers[0].args",
        "template.containers[0].resources.*",
        "template.vpcAccess.*",
    ],
    "gcp:redis/instance:Instance": [
        "name",
        "tier",
        "memorySizeGb",
        "redisVersion",
        "authEnabled",
        "transitEncryptionMode",
        "authorizedNetwork",
        "redisConfigs.*",
    ],
    "gcp:cloudrunv2/job:Job": [
        "name",
        "runExecutionToken",
        "template.template.serviceAccount",
        "template.template.containers[0].args",
        "template.template.timeout",
    ],
    "gcp:cloudscheduler/job:Job": [
        "name",
        "schedule",
        "timeZone",
        "httpTarget.uri",
        "httpTarget.oauthToken.serviceAccountEmail",
        "attemptDeadline",
        "retryConfig.retryCount",
    ],
    "gcp:sql/databaseInstance:DatabaseInstance": [
        "name",
        "databaseVersion",
        "deletionProtection",
        "settings.tier",
        "settings.backupConfiguration.*",
        "settings.ipConfiguration.*",
        "settings.deletionProtectionEnabled",
    ],
    "gcp:storage/bucket:Bucket": [
        "name",
        "location",
        "uniformBucketLevelAccess",
        "publicAccessPrevention",
    ],
    "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup": [
        "name",
        "region",
        "networkEndpointType",
        "cloudRun.service",
    ],
    "gcp:compute/backendService:BackendService": [
        "name",
        "loadBalancingScheme",
        "backends[*].group",
        "securityPolicy",
    ],
    "gcp:compute/securityPolicy:SecurityPolicy": [
        "name",
        "rules[0].preview",  # the mode: every rule but the default one shares it
        "rules[*].match.expr.expression",
        "rules[*].rateLimitOptions.rateLimitThreshold.count",
    ],
    "gcp:compute/managedSslCertificate:ManagedSslCertificate": ["managed.domains"],
    "gcp:compute/uRLMap:URLMap": [
        "name",
        "defaultService",
        "defaultUrlRedirect.*",
        "pathMatchers[*].pathRules[*].*",
    ],
    "gcp:compute/backendBucket:BackendBucket": ["name", "bucketName", "enableCdn", "cdnPolicy.*"],
    "gcp:compute/globalAddress:GlobalAddress": ["name", "ipVersion"],
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": [
        "name",
        "portRange",
        "target",
        "loadBalancingScheme",
    ],
    "gcp:monitoring/alertPolicy:AlertPolicy": [
        "displayName",
        "conditions[0].conditionThreshold.thresholdValue",
    ],
}
FALLBACK_EXCLUDED = frozenset({"project", "labels", "userLabels", "description"})
# Runs a program and waits for every resource and output it started (untyped upstream).
_run_program = cast(Callable[[Callable[[], object]], Callable[[], None]], pulumi.runtime.test)


def plan(config: CloudRunConfig, *, image: str | None = None) -> dict[str, Any]:
    """What `config` deploys, as JSON-ready data."""
    budget = config.budget
    project = project_of(config)
    mocks = OfflineMocks(project=project, region=config.region, project_number=PLAN_PROJECT_NUMBER)
    recorder = Recorder()
    engine = _EngineLog()
    pulumi.runtime.set_mocks(
        mocks, project="django-cloudrun", stack="plan", preview=False, logger=engine.logger
    )

    @_run_program
    def run() -> pulumi.Output[str]:
        return build(config, image=image, opts=recorder.options()).url

    run()
    resources = [
        {
            "type": key[0],
            "name": key[1],
            # The engine resolves inputs concurrently; sorted keys make plans diffable.
            "inputs": _sorted(redact(mocks.inputs[key], mocks.secret_values)),
            "depends_on": [f"{dep[0]}::{dep[1]}" for dep in recorder.depends_on.get(key, [])],
        }
        for key in _unique(recorder.order)
        if key in mocks.inputs
    ]
    return {
        "resources": resources,
        "iam": iam_matrix(resources),
        "budget": budget.as_dict(),
        "edge_cost": edge_cost(config),
        "warnings": warnings(config) + engine.lines,
    }


def _unique(keys: list[Key]) -> list[Key]:
    return list(dict.fromkeys(keys))


class _EngineLog(logging.Handler):
    """Collects what the engine would have logged at warning level or above."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []
        self.logger = logging.getLogger("django_cloudrun.plan.engine")
        self.logger.propagate = False
        self.logger.handlers = [self]

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"pulumi: {record.getMessage()}")


def redact(value: Any, secrets: set[str], key: str | None = None) -> Any:
    """`value` as JSON-ready data, with every secret replaced by REDACTED."""
    if is_rpc_secret(value) or key in SECRET_INPUTS:
        return REDACTED
    if isinstance(value, str):
        return REDACTED if any(secret in value for secret in secrets) else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        out = {name: redact(item, secrets, name) for name, item in value.items()}
        # An environment entry {"name": "STRIPE_API_KEY", "value": "..."} in plain text.
        if isinstance(out.get("name"), str) and "value" in out and looks_secret(out["name"]):
            out["value"] = REDACTED
        return out
    if isinstance(value, list):
        return [redact(item, secrets) for item in value]
    return value


def iam_matrix(resources: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Who holds which role on what, one row per IAM member resource."""
    rows = []
    for resource in resources:
        kind = IAM_TYPES.get(resource["type"])
        if kind is None:
            continue
        inputs = resource["inputs"]
        target = str(inputs.get(kind[1], ""))
        if kind[0] == "service account":
            target = target.rsplit("/", 1)[-1]
        rows.append(
            {
                "member": str(inputs.get("member", "")),
                "role": str(inputs.get("role", "")),
                "on": kind[0],
                "resource": target,
            }
        )
    return rows


def warnings(config: CloudRunConfig) -> list[str]:
    """What deserves a second look before deploying `config`, one sentence each."""
    out = []
    if config.project_id is None:
        out.append(
            f"project_id is not set: this plan uses the placeholder project "
            f"{PLACEHOLDER_PROJECT!r}; deploy needs project_id"
        )
    if config.public and not config.load_balanced:
        out.append(
            "public = true: anyone on the internet may invoke the service (its invoker IAM "
            "check is off); set public = false to require IAM authentication"
        )
    if not config.edge.waf.enabled:
        out.append(
            f"ingress_settings = {config.ingress_settings} with no Cloud Armor policy: "
            "requests reach the service with no WAF in front; [edge.waf] enabled = true "
            "(with custom_domains) puts one in front"
        )
    if config.static.mode == "gcs-cdn":
        out.append(
            'static.mode = "gcs-cdn": anyone may read the static bucket (objectViewer to '
            "allUsers on it alone); keep nothing but collectstatic's output in it"
        )
    db = config.database
    if not db.deletion_protection:
        out.append(
            "database.deletion_protection = false: destroy, or a change that replaces the "
            "instance, deletes the Cloud SQL instance and its data"
        )
    if not db.point_in_time_recovery:
        out.append(
            "database.point_in_time_recovery = false: the database can only be restored to "
            "its last daily backup"
        )
    if db.private_ip and db.private_services_access == "create":
        out.append(
            f"database.private_services_access = create: deploy connects {config.vpc.network} "
            "to Google's services, which fails if the network already has that connection; "
            'set it to "existing" then'
        )
    if config.monitoring.uptime_check and not uptime_possible(config):
        out.append(
            "monitoring.uptime_check: no uptime check is created, because uptime checks "
            "come from the internet and this service is not public with ingress all or "
            "behind a load balancer"
        )
    if config.monitoring.alert_email is None:
        out.append(
            "monitoring.alert_email is not set: alert policies open incidents in the "
            "console but notify nobody"
        )
    out += secret_warnings(config)
    return out


def flatten(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Leaf values of nested inputs with their paths, such as template.scaling.maxInstanceCount."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from flatten(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list) and value and not all(isinstance(v, str) for v in value):
        for index, item in enumerate(value):
            yield from flatten(item, f"{path}[{index}]")
    else:
        yield path, value


def summary(resource: dict[str, Any]) -> list[tuple[str, Any]]:
    """The inputs that matter for a resource, as (path, value) pairs in a stable order."""
    leaves = sorted(flatten(resource["inputs"]), key=lambda leaf: leaf[0])
    patterns = IMPORTANT.get(resource["type"])
    if patterns is None:
        return [
            (path, value)
            for path, value in leaves
            if "." not in path and "[" not in path and path not in FALLBACK_EXCLUDED
        ]
    ranked = []
    for path, value in leaves:
        rank = next((i for i, pattern in enumerate(patterns) if _matches(path, pattern)), None)
        if rank is not None:
            ranked.append((rank, path, value))
    return [(path, value) for _, path, value in sorted(ranked, key=lambda item: item[:2])]


def _matches(path: str, pattern: str) -> bool:
    """Glob match where only * is special: template.containers[0].* is literal up to *."""
    return re.fullmatch(re.escape(pattern).replace(r"\*", ".*"), path) is not None


def _sorted(value: Any) -> Any:
    """``value`` with the keys of every nested dict in order."""
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value
