"""Cloud Scheduler cron: each [[cron]] entry is a Cloud Run job that a scheduler job starts.

The job (SERVICE-cron-NAME) runs `python manage.py COMMAND` with the service's image,
environment, pinned secrets, volumes, resources and VPC access, as the service's own
account: a cron command is application code and needs exactly what the service may read
and write (its database, its media), nothing more. A separate account would hold the very
same grants, twice over, and protect nothing. Its environment comes from config.topology
with CRON_SCOPES (the service's), so no cron job ever sees db-init's admin password or the
superuser's.

Unlike db-init and migrate, the job has no run_execution_token: a deployment only
defines it. It is updated after the service (so after migrate): a run that starts during
a deployment uses the previous image with the previous schema, or the new with the new.

The scheduler job POSTs to the Cloud Run Admin API's jobs:run with an OAuth token of a
dedicated account (SERVICE-scheduler). That account holds one role per cron job, on that
job only: roles/run.invoker, "Can invoke Cloud Run services and execute Cloud Run jobs",
grantable on a single job, and the role Google's "Execute jobs" page asks for to run a job
(https://cloud.google.com/run/docs/execute/jobs; roles listed at
https://cloud.google.com/iam/docs/roles-permissions/run). It is the least privilege that
works: roles/run.jobsExecutor also cancels executions and the roles page names no resource
below the project to grant it on; roles/run.jobsExecutorWithOverrides would moreover let
the caller replace the command and environment of a run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
from pulumi_gcp import cloudrunv2, cloudscheduler, serviceaccount

from ..config import CloudRunConfig
from ..config.sections import CronJob
from ..config.topology import CRON_TIMEOUT, cron_description, cron_jobs
from .args import CloudRunAppArgs, JobSpec, SecretEnv
from .cloud_run_app import CloudRunApp
from .identity import INVOKER, Grantee
from .jobs import job

__all__ = [
    "ATTEMPT_DEADLINE",
    "OAUTH_SCOPE",
    "RETRY",
    "TIME_ZONE",
    "Schedule",
    "cron_schedule",
    "run_uri",
]

TIME_ZONE = "Etc/UTC"  # cloudrun.toml documents cron schedules in UTC: no DST surprises
OAUTH_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
# jobs:run answers as soon as the execution is created (a long-running operation), so a
# minute is plenty; an attempt that outlived it might have started an execution anyway.
ATTEMPT_DEADLINE = "60s"
# Retries cover failures to *start* the execution (5xx, 429, a deadline), never a command
# that failed: the execution has max_retries 0. Cloud Scheduler delivers at least once
# (https://cloud.google.com/scheduler/docs/overview), so a command may still run twice for
# one scheduled time; the README asks for idempotent commands.
RETRY = cloudscheduler.JobRetryConfigArgs(
    retry_count=3,
    min_backoff_duration="30s",
    max_backoff_duration="300s",
    max_doublings=2,
)


def run_uri(project: str, region: str, job_name: str) -> str:
    """The Cloud Run Admin API method that starts an execution of `job_name`."""
    return (
        f"https://run.googleapis.com/v2/projects/{project}/locations/{region}/jobs/{job_name}:run"
    )


@dataclass
class Schedule:
    """The scheduler account, and per [[cron]] entry its Cloud Run job and its trigger."""

    account: serviceaccount.Account | None = None  # None when there is no [[cron]]
    jobs: dict[str, cloudrunv2.Job] = field(default_factory=dict)  # by entry name
    triggers: dict[str, cloudscheduler.Job] = field(default_factory=dict)


def cron_schedule(
    name: str,
    config: CloudRunConfig,
    *,
    app: CloudRunApp,
    env: Mapping[str, pulumi.Input[str]],
    secret_env: Mapping[str, SecretEnv],
    parent: pulumi.Resource,
) -> Schedule:
    """The cron jobs of `config` next to `app`'s service; `env` and `secret_env` are theirs."""
    schedule = Schedule()
    jobs = cron_jobs(config)
    if not jobs:
        return schedule
    args = app.args
    unreadable = sorted(set(secret_env) - set(args.secret_env))
    if unreadable:
        raise ValueError(
            f"cron jobs run as the service's account, which cannot read {', '.join(unreadable)}"
        )
    account = app.account(
        f"{name}-scheduler-sa",
        "scheduler",
        f"Starts the cron jobs of {args.service_name} from Cloud Scheduler.",
        parent=parent,
    )
    schedule.account = account
    for entry, cron in zip(config.cron, jobs, strict=True):
        spec = JobSpec(
            name=cron.name,
            args=cron.command,
            env=env,
            secret_env=secret_env,
            timeout_seconds=CRON_TIMEOUT,
            max_retries=0,
        )
        run_job = job(
            f"{name}-{cron.name}",
            spec,
            args,
            account=app.service_account.email,
            volumes=args.volumes,
            release="",
            depends_on=[app.service],
            parent=parent,
            run_at_deploy=False,
        )
        grant = Grantee(account.member, args.project, args.region, parent).on_job(
            f"{name}-scheduler-sa-runs-{cron.name}", job=run_job.name, role=INVOKER
        )
        schedule.jobs[entry.name] = run_job
        schedule.triggers[entry.name] = _trigger(
            f"{name}-{cron.name}-trigger", entry, args, run_job, account, grant, parent
        )
    return schedule


def _trigger(
    name: str,
    entry: CronJob,
    args: CloudRunAppArgs,
    run_job: cloudrunv2.Job,
    account: serviceaccount.Account,
    grant: pulumi.Resource,
    parent: pulumi.Resource,
) -> cloudscheduler.Job:
    """The scheduler job that starts `run_job` on `entry`'s schedule, as `account`."""
    return cloudscheduler.Job(
        name,
        cloudscheduler.JobArgs(
            project=args.project,
            region=args.region,
            name=run_job.name,  # the scheduler job is named like the job it starts
            description=cron_description(entry),
            schedule=entry.schedule,
            time_zone=TIME_ZONE,
            attempt_deadline=ATTEMPT_DEADLINE,
            retry_config=RETRY,
            http_target=cloudscheduler.JobHttpTargetArgs(
                http_method="POST",
                uri=run_job.name.apply(
                    lambda job_name: run_uri(args.project, args.region, job_name)
                ),
                oauth_token=cloudscheduler.JobHttpTargetOauthTokenArgs(
                    service_account_email=account.email, scope=OAUTH_SCOPE
                ),
            ),
        ),
        # The first run must find the grant in place, or it fails with 403.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[grant]),
    )
