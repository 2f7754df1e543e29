"""Engine over Pulumi's Automation API: an inline program, one stack per environment.

The workspace lives in .cloudrun/pulumi/SERVICE (Pulumi.yaml with the backend URL, and
each stack's settings); the state lives in the backend. Engine events are translated into
ours (events.ResourceChange) as they arrive; error diagnostics are kept per resource, so a
failed update says which resource failed and why.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import CloudError, one_line
from ..events import OnEvent, ResourceChange
from ..interfaces import EngineFailed, ResourceFailure, StackOutputs, StackResource, Urns
from ..stack import Program, StackSettings

if TYPE_CHECKING:
    from pulumi import automation as auto

__all__ = ["AutomationEngine", "EventTranslator", "resource_type"]

# Plugins the program needs, by the Python package that ships their SDK.
PLUGINS = {"gcp": "pulumi_gcp", "random": "pulumi_random"}
_QUIET_TYPES = ("pulumi:pulumi:Stack", "pulumi:providers:")


def resource_type(urn: str) -> str:
    """urn:pulumi:s::p::parent$gcp:sql/user:User::name -> gcp:sql/user:User."""
    parts = urn.split("::")
    return parts[2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""


def _quiet(type_: str) -> bool:
    return type_.startswith(_QUIET_TYPES)


class EventTranslator:
    """Pulumi's engine events -> our ResourceChange events, plus failures by resource."""

    def __init__(self, on_event: OnEvent) -> None:
        self.on_event = on_event
        self.errors: dict[str, list[str]] = {}

    def __call__(self, event: auto.EngineEvent) -> None:
        for payload, state in (
            (event.resource_pre_event, "started"),
            (event.res_outputs_event, "done"),
            (event.res_op_failed_event, "failed"),
        ):
            if payload is None or getattr(payload, "planning", False):
                continue
            meta = payload.metadata
            if not _quiet(meta.type):
                op = getattr(meta.op, "value", str(meta.op))
                change = ResourceChange(meta.urn, meta.type, op, state)  # type: ignore[arg-type]
                self.on_event(change)
        diagnostic = event.diagnostic_event
        if (
            diagnostic is not None
            and diagnostic.severity == "error"
            and diagnostic.urn
            and not _quiet(resource_type(diagnostic.urn))
        ):
            self.errors.setdefault(diagnostic.urn, []).append(diagnostic.message)

    @property
    def failures(self) -> list[ResourceFailure]:
        return [
            ResourceFailure(urn, resource_type(urn), "\n".join(messages))
            for urn, messages in self.errors.items()
        ]


def _stderr(error: Exception) -> str:
    """What the CLI printed on stderr, from a CommandError's text."""
    text = str(error)
    return text.split(" stderr: ", 1)[-1] if " stderr: " in text else text


def _file_backend_dir(url: str) -> None:
    """A file:// backend's directory must exist before Pulumi logs in to it."""
    if url.startswith("file://"):
        Path(url.removeprefix("file://")).expanduser().mkdir(parents=True, exist_ok=True)


class AutomationEngine:
    def _stack(self, settings: StackSettings, program: Program | None, *, create: bool) -> Any:
        """The stack, selected (or created), its config set; a CloudError if Pulumi refuses."""
        from pulumi.automation.errors import CommandError, StackNotFoundError

        try:
            return self._select(settings, program, create=create)
        except StackNotFoundError:
            raise
        except CommandError as error:
            raise CloudError(f"Pulumi: {one_line(_stderr(error))}") from None

    def _select(self, settings: StackSettings, program: Program | None, *, create: bool) -> Any:
        from pulumi import automation as auto

        settings.work_dir.mkdir(parents=True, exist_ok=True)
        _file_backend_dir(settings.backend_url)
        opts = auto.LocalWorkspaceOptions(
            work_dir=str(settings.work_dir),
            secrets_provider=settings.secrets_provider,
            project_settings=auto.ProjectSettings(
                name=settings.project_name,
                runtime="python",
                backend=auto.ProjectBackend(url=settings.backend_url),
            ),
            env_vars={"PULUMI_SKIP_UPDATE_CHECK": "true"},
        )

        def inline() -> None:
            if program is not None:
                program()

        select = auto.create_or_select_stack if create else auto.select_stack
        stack = select(
            settings.stack_name, project_name=settings.project_name, program=inline, opts=opts
        )
        stack.set_all_config(
            {
                "gcp:project": auto.ConfigValue(settings.gcp_project),
                "gcp:region": auto.ConfigValue(settings.region),
            }
        )
        return stack

    def up(
        self, stack: StackSettings, program: Program, on_event: OnEvent, *, targets: Urns = ()
    ) -> StackOutputs:
        from pulumi.automation.errors import CommandError

        selected = self._stack(stack, program, create=True)
        try:
            for plugin, package in PLUGINS.items():
                selected.workspace.install_plugin(plugin, f"v{version(package)}")
        except CommandError as error:
            raise CloudError(
                f"Pulumi could not install a plugin: {one_line(_stderr(error))}"
            ) from None
        translator = EventTranslator(on_event)
        try:
            result = selected.up(on_event=translator, target=list(targets) or None, color="never")
        except CommandError as error:
            raise EngineFailed(_stderr(error), translator.failures) from None
        return {key: output.value for key, output in result.outputs.items()}

    def resources(self, stack: StackSettings) -> list[StackResource]:
        from pulumi.automation.errors import CommandError, StackNotFoundError

        try:
            selected = self._stack(stack, None, create=False)
        except StackNotFoundError:
            return []
        try:
            deployment = selected.export_stack().deployment or {}
        except CommandError as error:
            raise CloudError(f"Pulumi: {one_line(_stderr(error))}") from None
        return [
            StackResource(item["urn"], item["type"])
            for item in deployment.get("resources") or []
            if not _quiet(item.get("type", ""))
        ]

    def destroy(self, stack: StackSettings, on_event: OnEvent) -> None:
        from pulumi.automation.errors import CommandError

        selected = self._stack(stack, None, create=False)
        translator = EventTranslator(on_event)
        try:
            selected.destroy(on_event=translator, color="never", remove=True)
        except CommandError as error:
            raise EngineFailed(_stderr(error), translator.failures) from None
