"""`destroy`: says what holds data and deletes it only when asked to, after confirmation.

The Cloud SQL instance and the media bucket hold data. Without --delete-data, destroy
refuses before deleting anything (a destroy that stopped at the protected instance would
leave a half-deleted app). With it, one targeted update lifts the instance's deletion
protection and lets the bucket go with its files, then the stack is destroyed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..config.names import bucket_name, instance_name
from .clients import Clients
from .deploy import Confirm
from .errors import CloudError, PrerequisiteError, is_permission_error, missing_permission, one_line
from .events import BUCKET_TYPE, INSTANCE_TYPE, OnEvent, Step, ignore, name_of, short_type
from .interfaces import EngineFailed, StackResource
from .preflight import require
from .stack import CloudTarget, Program

__all__ = ["DataHolder", "data_holders", "destroy"]


@dataclass(frozen=True)
class DataHolder:
    urn: str
    what: str  # "Cloud SQL instance demo-django-db (deletion protection on)"


def data_holders(resources: list[StackResource], target: CloudTarget) -> list[DataHolder]:
    config = target.config
    out = []
    for resource in resources:
        if resource.type == INSTANCE_TYPE:
            protection = "on" if config.database.deletion_protection else "off"
            out.append(
                DataHolder(
                    resource.urn,
                    f"Cloud SQL instance {instance_name(target.service)} "
                    f"(deletion protection {protection})",
                )
            )
        elif resource.type == BUCKET_TYPE and name_of(resource.urn) == f"{target.service}-media":
            bucket = bucket_name(target.project, target.service, config.media.bucket_suffix)
            out.append(DataHolder(resource.urn, f"media bucket gs://{bucket}"))
    return out


def _listing(holders: list[DataHolder]) -> str:
    names = [holder.what for holder in holders]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def destroy(
    target: CloudTarget,
    clients: Clients,
    *,
    delete_data: bool = False,
    confirm: Confirm = lambda question: None,
    on_event: OnEvent = ignore,
    environ: Mapping[str, str] = os.environ,
) -> str:
    """Destroy the stack; returns what was done, raises CloudError when it refuses."""
    require(clients.probe, target, environ=environ)
    engine, stack = clients.engine, target.stack
    resources = engine.resources(stack)
    where = f"{target.service} ({target.project}, stack {stack.stack_name})"
    if not resources:
        return f"nothing to destroy: stack {stack.stack_name} in {stack.backend_url} is empty"
    holders = data_holders(resources, target)
    if holders and not delete_data:
        raise PrerequisiteError(
            f"refusing to destroy {where}: {_listing(holders)} "
            f"{'holds' if len(holders) == 1 else 'hold'} data; back it up, then pass "
            "--delete-data to delete it with everything else"
        )
    question = f"Destroy {where}: {len(resources)} resources"
    question += f", deleting the data in {_listing(holders)}?" if holders else "?"
    answer = confirm(question)
    if answer is None:
        raise PrerequisiteError(f"no terminal to confirm on: pass --yes to destroy {where}")
    if not answer:
        raise CloudError("destroy cancelled; nothing was deleted")
    if holders:
        on_event(Step("lifting deletion protection from the data it holds"))
        config = target.config
        unprotected = config.model_copy(
            update={"database": config.database.model_copy(update={"deletion_protection": False})}
        )
        from ..infra.build import default_image  # only the data holders are updated

        program = Program(
            unprotected, default_image(unprotected, target.project), media_force_destroy=True
        )
        try:
            engine.up(stack, program, on_event, targets=[holder.urn for holder in holders])
        except EngineFailed as failed:
            raise _refused(failed, target.project, "updated to allow its deletion") from None
    on_event(Step(f"destroying {len(resources)} resources"))
    try:
        engine.destroy(stack, on_event)
    except EngineFailed as failed:
        raise _refused(failed, target.project, "deleted") from None
    return f"destroyed {where}"


def _refused(failed: EngineFailed, project: str, doing: str) -> CloudError:
    for failure in failed.failures:
        what = f"{short_type(failure.type)} {name_of(failure.urn)}"
        if is_permission_error(failure.message):
            return missing_permission(failure.message, project, on=what)
        return CloudError(
            f"{what} could not be {doing}: {one_line(failure.message, 200)}; fix that, then "
            "run destroy again"
        )
    if is_permission_error(failed.summary):
        return missing_permission(failed.summary, project)
    return CloudError(f"destroy failed: {one_line(failed.summary, 200)}")
