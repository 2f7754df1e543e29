"""Cloud Run jobs that run on every deployment, in order, before the service's new revision.

The provider runs them: a Job's `run_execution_token` starts an execution when the job is
created or the token changes, and the Job is ready only when that execution succeeded. The
token is a hash of everything the execution sees (image, command, environment, pinned secret
versions), so a deployment that changes any of them runs the job again, and one that
changes nothing does not. A failed execution fails the deployment: the jobs and service
that depend on it are not updated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi_gcp import cloudrunv2

from ..config.names import EXECUTION_NAME_MAX, TOKEN_LENGTH, digest, job_name
from ..config.topology import JOB_EXECUTION_ENVIRONMENT
from .args import CloudRunAppArgs, JobSpec, SecretEnv, Volume
from .service import EXECUTION_ENVIRONMENTS
from .template import JOB
from .timeouts import execution_seconds, waiting_for

__all__ = [
    "EXECUTION_NAME_MAX",
    "TOKEN_LENGTH",
    "execution_token",
    "failure_hint",
    "job",
    "job_name",
]


def execution_token(
    *,
    name: str,
    image: pulumi.Input[str],
    command: Sequence[str],
    env: Mapping[str, pulumi.Input[str]],
    secret_env: Mapping[str, SecretEnv],
    release: str = "",
) -> pulumi.Output[str]:
    """A hash of what the execution sees: it changes exactly when the job must run again."""
    seen: dict[str, Any] = {
        "name": name,
        "image": image,
        "command": list(command),
        "env": dict(env),
        "secrets": {var: [ref.secret, ref.version] for var, ref in secret_env.items()},
        "release": release,
    }

    def hashed(resolved: Any) -> str:
        return digest(json.dumps(resolved, sort_keys=True), TOKEN_LENGTH)

    return pulumi.Output.from_input(seen).apply(hashed)


def failure_hint(name: str, *, region: str, project: str) -> str:
    """What to tell someone whose deployment stopped because the job `name` failed."""
    return (
        f"the Cloud Run job {name} failed, so the service was not updated; read its logs with "
        f'`gcloud logging read \'resource.type="cloud_run_job" AND '
        f'resource.labels.job_name="{name}"\' --project {project} --limit 50` or list its '
        f"executions with `gcloud run jobs executions list --job {name} --region {region} "
        f"--project {project}`"
    )


def job(
    name: str,
    spec: JobSpec,
    app: CloudRunAppArgs,
    *,
    account: pulumi.Input[str],
    volumes: Sequence[Volume],
    release: str,
    depends_on: Sequence[pulumi.Resource],
    parent: pulumi.Resource,
    run_at_deploy: bool = True,
) -> cloudrunv2.Job:
    """The job `spec` of `app`: its image, command, resources and VPC, its own env.

    With `run_at_deploy` false the job has no execution token, so a deployment only
    defines it; something else starts its executions (Cloud Scheduler, for cron jobs).
    """
    cloud_name = job_name(app.service_name, spec.name)
    token = (
        execution_token(
            name=cloud_name,
            image=app.image,
            command=[*app.command, *spec.args],
            env=spec.env,
            secret_env=spec.secret_env,
            release=release,
        )
        if run_at_deploy
        else None
    )
    container = cloudrunv2.JobTemplateTemplateContainerArgs(
        image=app.image,
        commands=list(app.command) or None,
        args=list(spec.args),
        resources=cloudrunv2.JobTemplateTemplateContainerResourcesArgs(
            limits={"cpu": app.cpu, "memory": app.memory}
        ),
        envs=JOB.envs(spec.env, spec.secret_env),
        volume_mounts=JOB.mounts(volumes),
    )
    return cloudrunv2.Job(
        name,
        cloudrunv2.JobArgs(
            project=app.project,
            location=app.region,
            name=cloud_name,
            labels=dict(app.labels),
            deletion_protection=False,
            run_execution_token=token,
            template=cloudrunv2.JobTemplateArgs(
                task_count=1,
                parallelism=1,
                template=cloudrunv2.JobTemplateTemplateArgs(
                    service_account=account,
                    # The service's execution_environment is not theirs: jobs run on gen2 only.
                    execution_environment=EXECUTION_ENVIRONMENTS[JOB_EXECUTION_ENVIRONMENT],
                    timeout=f"{spec.timeout_seconds}s",
                    max_retries=spec.max_retries,
                    containers=[container],
                    volumes=JOB.volumes(volumes),
                    vpc_access=JOB.vpc_access(app.vpc),
                ),
            ),
        ),
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=list(depends_on),
            # Created or updated only once its execution completed: wait that long too.
            custom_timeouts=(
                waiting_for(execution_seconds(spec.timeout_seconds, spec.max_retries))
                if run_at_deploy
                else None
            ),
        ),
    )
