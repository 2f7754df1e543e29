"""Cloud Monitoring: uptime check, alert policies, availability and latency SLOs.

The thresholds are fixed here rather than in cloudrun.toml: they are what "something is
wrong" means for a Django service, and nobody should have to tune them to get alerts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_gcp import monitoring

from ..config import CloudRunConfig
from ..config.budget import Budget
from ..contract import STARTUP_PROBE

__all__ = [
    "CONNECTIONS_SHARE",
    "ERROR_RATIO",
    "LATENCY_P95_MS",
    "Monitoring",
    "UTILIZATION",
    "monitoring_resources",
    "uptime_possible",
]

ERROR_RATIO = 0.05  # 5xx responses over all responses, over 5 minutes
LATENCY_P95_MS = 2000  # p95 request latency
UTILIZATION = 0.9  # CPU and memory of the instances
CONNECTIONS_SHARE = 0.8  # of the tier's max_connections
AVAILABILITY_GOAL = 0.995
LATENCY_GOAL = 0.95
LATENCY_SLO_THRESHOLD = "1s"
SLO_DAYS = 28
WINDOW = "300s"

Aggregation = monitoring.AlertPolicyConditionConditionThresholdAggregationArgs


@dataclass
class Monitoring:
    channel: monitoring.NotificationChannel | None = None
    uptime: monitoring.UptimeCheckConfig | None = None
    alerts: dict[str, monitoring.AlertPolicy] = field(default_factory=dict)
    service: monitoring.GenericService | None = None
    slos: dict[str, monitoring.Slo] = field(default_factory=dict)


def uptime_possible(config: CloudRunConfig) -> bool:
    """Uptime checks come from the internet without credentials: to run.app with ingress
    all, or to the first custom domain through the load balancer."""
    return config.public and (config.ingress_settings == "all" or config.load_balanced)


def _run_filter(config: CloudRunConfig, metric: str, extra: str = "") -> str:
    return (
        f'metric.type="run.googleapis.com/{metric}" AND resource.type="cloud_run_revision" '
        f'AND resource.label.service_name="{config.service_name}"{extra}'
    )


def _threshold(
    *,
    filter: pulumi.Input[str],
    value: float,
    aligner: str,
    reducer: str,
    denominator: str | None = None,
    alignment_period: str = WINDOW,
    group_by: list[str] | None = None,
) -> monitoring.AlertPolicyConditionConditionThresholdArgs:
    """Above `value` for WINDOW: the series of `filter` (over `denominator`'s), aggregated."""
    return monitoring.AlertPolicyConditionConditionThresholdArgs(
        filter=filter,
        comparison="COMPARISON_GT",
        threshold_value=value,
        duration=WINDOW,
        aggregations=[
            Aggregation(
                alignment_period=alignment_period,
                per_series_aligner=aligner,
                cross_series_reducer=reducer,
                group_by_fields=group_by,
            )
        ],
        denominator_filter=denominator,
        denominator_aggregations=(
            [
                monitoring.AlertPolicyConditionConditionThresholdDenominatorAggregationArgs(
                    alignment_period=WINDOW,
                    per_series_aligner=aligner,
                    cross_series_reducer=reducer,
                )
            ]
            if denominator is not None
            else None
        ),
    )


@dataclass(frozen=True)
class _RunAlert:
    """An alert on one run.googleapis.com metric of the service's revisions."""

    key: str
    title: str
    metric: str
    value: float
    aligner: str
    reducer: str
    only: str = ""  # narrows the metric; set, the alert is on the share of all of it


_RUN_ALERTS = (
    _RunAlert(
        "errors",
        f"5xx responses above {ERROR_RATIO:.0%}",
        "request_count",
        ERROR_RATIO,
        "ALIGN_RATE",
        "REDUCE_SUM",
        only=' AND metric.label.response_code_class="5xx"',
    ),
    _RunAlert(
        "latency",
        f"p95 latency above {LATENCY_P95_MS} ms",
        "request_latencies",
        LATENCY_P95_MS,
        "ALIGN_PERCENTILE_95",
        "REDUCE_MAX",
    ),
    _RunAlert(
        "cpu",
        f"CPU above {UTILIZATION:.0%}",
        "container/cpu/utilizations",
        UTILIZATION,
        "ALIGN_PERCENTILE_95",
        "REDUCE_MAX",
    ),
    _RunAlert(
        "memory",
        f"memory above {UTILIZATION:.0%}",
        "container/memory/utilizations",
        UTILIZATION,
        "ALIGN_PERCENTILE_95",
        "REDUCE_MAX",
    ),
)
_PAGES = ("errors", "uptime")  # severity ERROR; the others are WARNING

Condition = tuple[str, monitoring.AlertPolicyConditionConditionThresholdArgs]  # title, threshold


def _run_conditions(config: CloudRunConfig) -> dict[str, Condition]:
    return {
        alert.key: (
            alert.title,
            _threshold(
                filter=_run_filter(config, alert.metric, alert.only),
                denominator=_run_filter(config, alert.metric) if alert.only else None,
                value=alert.value,
                aligner=alert.aligner,
                reducer=alert.reducer,
            ),
        )
        for alert in _RUN_ALERTS
    }


def _connections_condition(
    project: str, instance_name: pulumi.Input[str], budget: Budget
) -> Condition:
    return (
        f"Cloud SQL connections above {CONNECTIONS_SHARE:.0%} of {budget.max_connections}",
        _threshold(
            filter=pulumi.Output.concat(
                'metric.type="cloudsql.googleapis.com/database/postgresql/num_backends" '
                'AND resource.type="cloudsql_database" AND resource.label.database_id="',
                project,
                ":",
                instance_name,
                '"',
            ),
            value=round(budget.max_connections * CONNECTIONS_SHARE),
            aligner="ALIGN_MAX",
            reducer="REDUCE_SUM",
        ),
    )


def _uptime_condition(uptime: monitoring.UptimeCheckConfig) -> Condition:
    """Fires when checks failed from more than one region over 20 minutes."""
    return (
        f"{STARTUP_PROBE.path} failing from several regions",
        _threshold(
            filter=pulumi.Output.concat(
                'metric.type="monitoring.googleapis.com/uptime_check/check_passed" '
                'AND resource.type="uptime_url" AND metric.label.check_id="',
                uptime.uptime_check_id,
                '"',
            ),
            value=1,
            aligner="ALIGN_NEXT_OLDER",
            reducer="REDUCE_COUNT_FALSE",
            alignment_period="1200s",
            group_by=["resource.label.*"],
        ),
    )


def _channel(
    name: str, config: CloudRunConfig, project: str, opts: pulumi.ResourceOptions
) -> monitoring.NotificationChannel | None:
    if config.monitoring.alert_email is None:
        return None
    return monitoring.NotificationChannel(
        f"{name}-alert-email",
        monitoring.NotificationChannelArgs(
            project=project,
            type="email",
            display_name=f"{config.service_name} alerts",
            labels={"email_address": config.monitoring.alert_email},
        ),
        opts=opts,
    )


def _uptime(
    name: str,
    config: CloudRunConfig,
    project: str,
    host: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> monitoring.UptimeCheckConfig | None:
    if not (config.monitoring.uptime_check and uptime_possible(config)):
        return None
    return monitoring.UptimeCheckConfig(
        f"{name}-uptime",
        monitoring.UptimeCheckConfigArgs(
            project=project,
            display_name=f"{config.service_name} {STARTUP_PROBE.path}",
            period="60s",
            timeout="10s",
            http_check=monitoring.UptimeCheckConfigHttpCheckArgs(
                path=STARTUP_PROBE.path, port=443, use_ssl=True, validate_ssl=True
            ),
            monitored_resource=monitoring.UptimeCheckConfigMonitoredResourceArgs(
                type="uptime_url", labels={"project_id": project, "host": host}
            ),
        ),
        opts=opts,
    )


def _alert(
    name: str,
    key: str,
    condition: Condition,
    config: CloudRunConfig,
    *,
    project: str,
    channels: list[pulumi.Output[str]],
    opts: pulumi.ResourceOptions,
) -> monitoring.AlertPolicy:
    title, threshold = condition
    service = config.service_name
    return monitoring.AlertPolicy(
        f"{name}-alert-{key}",
        monitoring.AlertPolicyArgs(
            project=project,
            display_name=f"{service}: {title}",
            combiner="OR",
            severity="ERROR" if key in _PAGES else "WARNING",
            notification_channels=channels,
            conditions=[
                monitoring.AlertPolicyConditionArgs(
                    display_name=title, condition_threshold=threshold
                )
            ],
            alert_strategy=monitoring.AlertPolicyAlertStrategyArgs(auto_close="1800s"),
            documentation=monitoring.AlertPolicyDocumentationArgs(
                mime_type="text/markdown",
                subject=f"{service}: {title}",
                content=(
                    f"{title} on the Cloud Run service {service} ({config.region}). "
                    f"Logs: `gcloud run services logs read {service} --region "
                    f"{config.region} --project {project}`."
                ),
            ),
        ),
        opts=opts,
    )


def _slo_service(
    name: str, config: CloudRunConfig, project: str, opts: pulumi.ResourceOptions
) -> monitoring.GenericService:
    service = config.service_name
    return monitoring.GenericService(
        f"{name}-slo-service",
        monitoring.GenericServiceArgs(
            project=project,
            service_id=service,
            display_name=service,
            basic_service=monitoring.GenericServiceBasicServiceArgs(
                service_type="CLOUD_RUN",
                service_labels={"service_name": service, "location": config.region},
            ),
        ),
        opts=opts,
    )


_SLIS = {
    "availability": (
        AVAILABILITY_GOAL,
        monitoring.SloBasicSliArgs(
            availability=monitoring.SloBasicSliAvailabilityArgs(enabled=True)
        ),
    ),
    "latency": (
        LATENCY_GOAL,
        monitoring.SloBasicSliArgs(
            latency=monitoring.SloBasicSliLatencyArgs(threshold=LATENCY_SLO_THRESHOLD)
        ),
    ),
}


def _slos(
    name: str,
    config: CloudRunConfig,
    project: str,
    service: monitoring.GenericService,
    opts: pulumi.ResourceOptions,
) -> dict[str, monitoring.Slo]:
    return {
        key: monitoring.Slo(
            f"{name}-slo-{key}",
            monitoring.SloArgs(
                project=project,
                service=service.service_id,
                slo_id=key,
                display_name=f"{config.service_name} {key} {goal:.1%} over {SLO_DAYS} days",
                goal=goal,
                rolling_period_days=SLO_DAYS,
                basic_sli=sli,
            ),
            opts=opts,
        )
        for key, (goal, sli) in _SLIS.items()
    }


def monitoring_resources(
    name: str,
    config: CloudRunConfig,
    *,
    project: str,
    host: pulumi.Input[str],
    instance_name: pulumi.Input[str],
    budget: Budget,
    parent: pulumi.Resource,
) -> Monitoring:
    """The channel, the uptime check, an alert per condition, the SLO service and its SLOs."""
    opts = pulumi.ResourceOptions(parent=parent)
    out = Monitoring(channel=_channel(name, config, project, opts))
    channels = [out.channel.name] if out.channel is not None else []
    conditions = _run_conditions(config)
    conditions["connections"] = _connections_condition(project, instance_name, budget)
    out.uptime = _uptime(name, config, project, host, opts)
    if out.uptime is not None:
        conditions["uptime"] = _uptime_condition(out.uptime)
    out.alerts = {
        key: _alert(name, key, condition, config, project=project, channels=channels, opts=opts)
        for key, condition in conditions.items()
    }
    out.service = _slo_service(name, config, project, opts)
    out.slos = _slos(name, config, project, out.service, opts)
    return out
