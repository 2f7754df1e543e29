"""Secret Manager: the generated secrets, and the project's own secrets the config names.

Each generated secret is a random password stored as a new secret version; processes read
it through an environment variable pinned to that version (never "latest"), so a
revision's values can never change beneath it. A project secret is pinned to the version
that is current when the deployment runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random
from pulumi_gcp import secretmanager

from ..config.names import secret_id
from ..config.topology import SECRETS, SecretRef
from .args import SecretEnv

__all__ = [
    "ComposedSecret",
    "GeneratedSecret",
    "composed_secret",
    "existing_secret",
    "generated_secrets",
    "secret_id",
]

# Letters, digits and two characters that need no quoting in URLs, shells or libpq.
SPECIAL_CHARACTERS = "-_"


@dataclass(frozen=True)
class GeneratedSecret:
    ref: SecretRef
    password: random.RandomPassword
    secret: secretmanager.Secret
    version: secretmanager.SecretVersion

    @property
    def env(self) -> SecretEnv:
        """The variable's source: this deployment's version of the secret."""
        return SecretEnv(
            key=self.ref.key, secret=self.secret.secret_id, version=self.version.version
        )


def generated_secrets(
    name: str,
    *,
    project: str,
    service: str,
    labels: dict[str, str],
    parent: pulumi.Resource,
) -> dict[str, GeneratedSecret]:
    """One random secret per entry of the topology's SECRETS, keyed by its key."""
    opts = pulumi.ResourceOptions(parent=parent)
    out = {}
    for ref in SECRETS:
        password = random.RandomPassword(
            f"{name}-{ref.key}",
            random.RandomPasswordArgs(
                length=ref.length, special=True, override_special=SPECIAL_CHARACTERS
            ),
            opts=opts,
        )
        stored = composed_secret(
            name,
            ref.key,
            password.result,
            project=project,
            service=service,
            labels=labels,
            parent=parent,
        )
        out[ref.key] = GeneratedSecret(ref, password, stored.secret, stored.version)
    return out


@dataclass(frozen=True)
class ComposedSecret:
    """A secret whose value is built from other values, such as DATABASE_URL."""

    key: str
    secret: secretmanager.Secret
    version: secretmanager.SecretVersion

    @property
    def env(self) -> SecretEnv:
        return SecretEnv(key=self.key, secret=self.secret.secret_id, version=self.version.version)


def composed_secret(
    name: str,
    key: str,
    value: pulumi.Output[str],
    *,
    project: str,
    service: str,
    labels: dict[str, str],
    parent: pulumi.Resource,
) -> ComposedSecret:
    """A secret holding ``value``, kept secret in the state and redacted from plans."""
    opts = pulumi.ResourceOptions(parent=parent)
    secret = secretmanager.Secret(
        f"{name}-{key}",
        secretmanager.SecretArgs(
            project=project,
            secret_id=secret_id(service, key),
            labels=labels,
            replication=secretmanager.SecretReplicationArgs(
                auto=secretmanager.SecretReplicationAutoArgs()
            ),
        ),
        opts=opts,
    )
    version = secretmanager.SecretVersion(
        f"{name}-{key}",
        secretmanager.SecretVersionArgs(secret=secret.id, secret_data=pulumi.Output.secret(value)),
        opts=opts,
    )
    return ComposedSecret(key, secret, version)


def existing_secret(secret: str, *, project: str) -> SecretEnv:
    """A secret of the project, pinned to its current version (its value is not fetched)."""
    current = secretmanager.get_secret_version_output(
        project=project, secret=secret, fetch_secret_data=False
    )
    return SecretEnv(key=f"env-{secret}", secret=secret, version=current.version)
