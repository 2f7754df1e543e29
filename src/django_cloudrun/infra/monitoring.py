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
    """Uptime checks come from the internet without credentials."""
    return config.public and config.ingress_settings == "all"


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
) -> monitoring.AlertPolicyConditionConditionThresholdArgs:
    return monitoring.AlertPolicyConditionConditionThresholdArgs(
        filter=filter,
        comparison="COMPARISON_GT",
        threshold_value=value,
        duration=WINDOW,
        aggregations=[
            Aggregation(
                alignment_period=WINDOW, per_series_aligner=aligner, cross_series_reducer=reducer
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
    out = Monitoring()
    opts = pulumi.ResourceOptions(parent=parent)
    service = config.service_name
    if config.monitoring.alert_email is not None:
        out.channel = monitoring.NotificationChannel(
            f"{name}-alert-email",
            monitoring.NotificationChannelArgs(
                project=project,
                type="email",
                display_name=f"{service} alerts",
                labels={"email_address": config.monitoring.alert_email},
            ),
            opts=opts,
        )
    channels = [out.channel.name] if out.channel is not None else []

    conditions: dict[str, tuple[str, monitoring.AlertPolicyConditionConditionThresholdArgs]] = {
        "errors": (
            f"5xx responses above {ERROR_RATIO:.0%}",
            _threshold(
                filter=_run_filter(
                    config, "request_count", ' AND metric.label.response_code_class="5xx"'
                ),
                denominator=_run_filter(config, "request_count"),
                value=ERROR_RATIO,
                aligner="ALIGN_RATE",
                reducer="REDUCE_SUM",
            ),
        ),
        "latency": (
            f"p95 latency above {LATENCY_P95_MS} ms",
            _threshold(
                filter=_run_filter(config, "request_latencies"),
                value=LATENCY_P95_MS,
                aligner="ALIGN_PERCENTILE_95",
                reducer="REDUCE_MAX",
            ),
        ),
        "cpu": (
            f"CPU above {UTILIZATION:.0%}",
            _threshold(
                filter=_run_filter(config, "container/cpu/utilizations"),
                value=UTILIZATION,
                aligner="ALIGN_PERCENTILE_95",
                reducer="REDUCE_MAX",
            ),
        ),
        "memory": (
            f"memory above {UTILIZATION:.0%}",
            _threshold(
                filter=_run_filter(config, "container/memory/utilizations"),
                value=UTILIZATION,
                aligner="ALIGN_PERCENTILE_95",
                reducer="REDUCE_MAX",
            ),
        ),
        "connections": (
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
        ),
    }

    if config.monitoring.uptime_check and uptime_possible(config):
        out.uptime = monitoring.UptimeCheckConfig(
            f"{name}-uptime",
            monitoring.UptimeCheckConfigArgs(
                project=project,
                display_name=f"{service} {STARTUP_PROBE.path}",
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
        conditions["uptime"] = (
            f"{STARTUP_PROBE.path} failing from several regions",
            monitoring.AlertPolicyConditionConditionThresholdArgs(
                filter=pulumi.Output.concat(
                    'metric.type="monitoring.googleapis.com/uptime_check/check_passed" '
                    'AND resource.type="uptime_url" AND metric.label.check_id="',
                    out.uptime.uptime_check_id,
                    '"',
                ),
                comparison="COMPARISON_GT",
                threshold_value=1,
                duration=WINDOW,
                aggregations=[
                    Aggregation(
                        alignment_period="1200s",
                        per_series_aligner="ALIGN_NEXT_OLDER",
                        cross_series_reducer="REDUCE_COUNT_FALSE",
                        group_by_fields=["resource.label.*"],
                    )
                ],
            ),
        )

    for key, (title, threshold) in conditions.items():
        out.alerts[key] = monitoring.AlertPolicy(
            f"{name}-alert-{key}",
            monitoring.AlertPolicyArgs(
                project=project,
                display_name=f"{service}: {title}",
                combiner="OR",
                severity="ERROR" if key in ("errors", "uptime") else "WARNING",
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

    out.service = monitoring.GenericService(
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
    slis = {
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
    for key, (goal, sli) in slis.items():
        out.slos[key] = monitoring.Slo(
            f"{name}-slo-{key}",
            monitoring.SloArgs(
                project=project,
                service=out.service.service_id,
                slo_id=key,
                display_name=f"{service} {key} {goal:.1%} over {SLO_DAYS} days",
                goal=goal,
                rolling_period_days=SLO_DAYS,
                basic_sli=sli,
            ),
            opts=opts,
        )
    return out
