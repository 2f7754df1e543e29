"""Cloud SQL for PostgreSQL: a hardened instance, the application database and its users.

Hardening: daily backups at the configured time kept for the configured days, point-in-time
recovery, deletion protection both in Pulumi and in the Cloud SQL API, encrypted
connections only, no authorised networks (clients come through the Cloud SQL connector
that Cloud Run mounts at /cloudsql), and no public IP when private_ip is set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_gcp import sql

from ..config import CloudRunConfig
from ..config.names import instance_name
from ..config.platform import backup_start_time
from ..contract import ADMIN_ROLE

__all__ = [
    "Database",
    "database",
    "instance_name",
]

# Write-ahead logs for point-in-time recovery are kept at most 7 days on Cloud SQL Enterprise.
PITR_LOG_DAYS_MAX = 7
_Retention = sql.DatabaseInstanceSettingsBackupConfigurationBackupRetentionSettingsArgs


@dataclass(frozen=True)
class Database:
    instance: sql.DatabaseInstance
    database: sql.Database
    admin: sql.User

    @property
    def connection_name(self) -> pulumi.Output[str]:
        return self.instance.connection_name


def database(
    name: str,
    config: CloudRunConfig,
    *,
    project: str,
    admin_password: pulumi.Input[str],
    labels: dict[str, str],
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> Database:
    """The hardened instance, then the application's database and admin user on it.

    The instance waits for `depends_on`: the network's Private Services Access, if made here.
    """
    db = config.database
    private_network = config.vpc_paths(project).network if db.private_ip else None
    protect = db.deletion_protection
    instance = sql.DatabaseInstance(
        f"{name}-sql",
        sql.DatabaseInstanceArgs(
            project=project,
            region=config.region,
            name=instance_name(config.service_name),
            database_version=db.version,
            deletion_protection=protect,
            settings=sql.DatabaseInstanceSettingsArgs(
                tier=db.tier,
                # Shared-core and db-custom tiers exist only in the Enterprise edition, which
                # PostgreSQL 16+ no longer picks by default.
                edition="ENTERPRISE",
                availability_type="ZONAL",
                disk_autoresize=True,
                deletion_protection_enabled=protect,
                user_labels=labels,
                backup_configuration=_backups(config),
                ip_configuration=sql.DatabaseInstanceSettingsIpConfigurationArgs(
                    ipv4_enabled=not db.private_ip,
                    private_network=private_network,
                    ssl_mode="ENCRYPTED_ONLY",
                    authorized_networks=[],
                ),
            ),
        ),
        opts=pulumi.ResourceOptions(parent=parent, protect=False, depends_on=list(depends_on)),
    )
    return _contents(name, config, instance, project=project, admin_password=admin_password)


def _contents(
    name: str,
    config: CloudRunConfig,
    instance: sql.DatabaseInstance,
    *,
    project: str,
    admin_password: pulumi.Input[str],
) -> Database:
    """The application's database and the admin user, children of the instance."""
    db = config.database
    child = pulumi.ResourceOptions(parent=instance)
    app_database = sql.Database(
        f"{name}-database",
        sql.DatabaseArgs(
            project=project,
            instance=instance.name,
            name=db.database,
            # Django's role owns the database once db-init ran; dropping it is left to people.
            deletion_policy="ABANDON",
        ),
        opts=child,
    )
    # The application's role is not created here: every user made through the Cloud SQL API
    # joins cloudsqlsuperuser (CREATEROLE, CREATEDB). db-init creates it with LOGIN only.
    admin = sql.User(
        f"{name}-admin",
        sql.UserArgs(
            project=project,
            instance=instance.name,
            name=ADMIN_ROLE,
            password=admin_password,
            deletion_policy="ABANDON",
        ),
        opts=child,
    )
    return Database(instance, app_database, admin)


def _backups(config: CloudRunConfig) -> sql.DatabaseInstanceSettingsBackupConfigurationArgs:
    """Daily backups kept for backup_retention_days, and point-in-time recovery if asked."""
    db = config.database
    return sql.DatabaseInstanceSettingsBackupConfigurationArgs(
        enabled=True,
        start_time=backup_start_time(db.backup_schedule),
        point_in_time_recovery_enabled=db.point_in_time_recovery,
        transaction_log_retention_days=(
            min(db.backup_retention_days, PITR_LOG_DAYS_MAX) if db.point_in_time_recovery else None
        ),
        backup_retention_settings=_Retention(
            retained_backups=db.backup_retention_days, retention_unit="COUNT"
        ),
    )
