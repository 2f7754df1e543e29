"""What Google Cloud accepts, as far as cloudrun.toml reaches it: each fact with its source.

The rules in rules.py, sections.py and model.py state these facts to the user; infra/ uses
the same functions to build what it sends, so `validate`, `plan` and `deploy` agree.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Final

__all__ = [
    "CLOUD_RUN_REGIONS",
    "JOB_EXECUTION_ENVIRONMENT",
    "MEMORY_RULE",
    "REGIONS_SOURCE",
    "REGIONS_URL",
    "SCHEDULER_DESCRIPTION_MAX",
    "SHARED_CORE_TIERS",
    "backup_problem",
    "backup_start_time",
    "branch_pattern_problem",
    "close_region",
    "connector_path",
    "memory_mib",
    "memory_problem",
    "network_path",
    "path_problem",
    "subnet_path",
    "tier_problem",
]

# Cloud Run jobs run only in the second generation execution environment: "Cloud Run jobs
# only use the second generation execution environment, and this cannot be changed for jobs"
# (https://cloud.google.com/run/docs/about-execution-environments). execution_environment
# in cloudrun.toml therefore applies to the service alone.
JOB_EXECUTION_ENVIRONMENT: Final = "gen2"

# The regions of https://cloud.google.com/run/docs/locations (Tier 1 and Tier 2 pricing),
# as listed when checked on 2026-12-01. A region added later is refused until it is listed.
REGIONS_URL = "https://cloud.google.com/run/docs/locations"
REGIONS_SOURCE = f"{REGIONS_URL}, checked 2026-12-01"
CLOUD_RUN_REGIONS = frozenset(
    {
        # Tier 1
        "asia-east1",
        "asia-northeast1",
        "asia-northeast2",
        "europe-north1",
        "europe-southwest1",
        "europe-west1",
        "europe-west4",
        "europe-west8",
        "europe-west9",
        "me-west1",
        "us-central1",
        "us-east1",
        "us-east4",
        "us-east5",
        "us-south1",
        "us-west1",
        # Tier 2
        "africa-south1",
        "asia-east2",
        "asia-northeast3",
        "asia-south1",
        "asia-south2",
        "asia-southeast1",
        "asia-southeast2",
        "australia-southeast1",
        "australia-southeast2",
        "europe-central2",
        "europe-west10",
        "europe-west12",
        "europe-west2",
        "europe-west3",
        "europe-west6",
        "me-central1",
        "me-central2",
        "northamerica-northeast1",
        "northamerica-northeast2",
        "southamerica-east1",
        "southamerica-west1",
        "us-west2",
        "us-west3",
        "us-west4",
    }
)


def close_region(value: str) -> str | None:
    """The listed region `value` most likely meant, if one is close."""
    close = difflib.get_close_matches(value, sorted(CLOUD_RUN_REGIONS), n=1, cutoff=0.75)
    return close[0] if close else None


# Cloud SQL for PostgreSQL takes shared-core tiers and custom machine types only
# (https://cloud.google.com/sql/docs/postgres/instance-settings, "Machine type"): a custom
# type db-custom-CPUS-MEMORY_MIB has 1 vCPU or an even number up to 96, and memory of 0.9 to
# 6.5 GB per vCPU, a multiple of 256 MB and at least 3.75 GB (the "GB" there are GiB:
# db-custom-1-3840 is the smallest).
SHARED_CORE_TIERS = ("db-f1-micro", "db-g1-small")
_CUSTOM_TIER = re.compile(r"db-custom-([1-9][0-9]*)-([1-9][0-9]*)")
_CPU_MAX = 96
_MIB_PER_CPU = (0.9 * 1024, 6.5 * 1024)
_MIB_STEP = 256
_MIB_MIN = 3840


def tier_problem(tier: str) -> str | None:
    """Why Cloud SQL would refuse `tier`, or None."""
    if tier in SHARED_CORE_TIERS:
        return None
    match = _CUSTOM_TIER.fullmatch(tier)
    if match is None:
        return (
            "must be a Cloud SQL tier such as db-f1-micro, db-g1-small or "
            f"db-custom-CPUS-MEMORY_MIB (db-custom-2-7680), got {tier!r}"
        )
    cpus, mib = int(match[1]), int(match[2])
    if cpus > _CPU_MAX or (cpus > 1 and cpus % 2):
        return f"{tier!r} has {cpus} vCPUs; Cloud SQL takes 1 or an even number up to 96"
    low = max(_MIB_MIN, math.ceil(cpus * _MIB_PER_CPU[0]))
    high = math.floor(cpus * _MIB_PER_CPU[1])
    if mib % _MIB_STEP or not low <= mib <= high:
        return (
            f"{tier!r} has {mib} MiB; with {cpus} vCPU{'s' if cpus > 1 else ''} Cloud SQL "
            f"takes a multiple of 256 from {_round_up(low)} to {high} MiB "
            "(0.9-6.5 GiB per vCPU, at least 3840)"
        )
    return None


def _round_up(mib: int) -> int:
    return -(-mib // _MIB_STEP) * _MIB_STEP


# Cloud SQL starts one automated backup a day, in a window that begins at
# BackupConfiguration.startTime, "HH:MM" in UTC (sqladmin v1 discovery document; pulumi-gcp
# sql.DatabaseInstanceSettingsBackupConfigurationArgs.start_time): a schedule must fire once
# a day, on the hour.
_DAILY_ON_THE_HOUR = re.compile(r"0 ([0-9]|1[0-9]|2[0-3]) \* \* \*")


def backup_problem(schedule: str) -> str | None:
    if _DAILY_ON_THE_HOUR.fullmatch(schedule):
        return None
    return (
        "Cloud SQL backs up once a day at the start of an hour (UTC); use '0 H * * *' with "
        f"H from 0 to 23, got {schedule!r}"
    )


def backup_start_time(schedule: str) -> str:
    """'0 2 * * *' -> '02:00' (the schedule is valid: the model checked it)."""
    return f"{int(schedule.split()[1]):02d}:00"


# Resource paths, as the APIs spell them. run.v2 VpcAccess.connector:
# projects/{project}/locations/{location}/connectors/{connector}; run.v2
# NetworkInterface.network and sqladmin IpConfiguration.privateNetwork:
# projects/{project}/global/networks/{network}; run.v2 NetworkInterface.subnetwork:
# projects/{project}/regions/{region}/subnetworks/{subnetwork}. A project other than the
# deployment's own is the host project of a Shared VPC.
_NAME = r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?"
_PROJECT = r"[a-z][-a-z0-9]{4,28}[a-z0-9]|[0-9]+"
_PATHS = {
    "connector": (
        re.compile(rf"projects/(?:{_PROJECT})/locations/(?P<region>[a-z0-9-]+)/connectors/{_NAME}"),
        "projects/PROJECT/locations/REGION/connectors/NAME",
    ),
    "network": (
        re.compile(rf"projects/(?:{_PROJECT})/global/networks/{_NAME}"),
        "projects/PROJECT/global/networks/NAME",
    ),
    "subnet": (
        re.compile(rf"projects/(?:{_PROJECT})/regions/(?P<region>[a-z0-9-]+)/subnetworks/{_NAME}"),
        "projects/PROJECT/regions/REGION/subnetworks/NAME",
    ),
}


def path_problem(kind: str, value: str, region: str | None = None) -> str | None:
    """Why `value` is not a name or a full path of a `kind`, or None.

    `region`, when given, is the service's: connectors and subnets are regional, and Cloud
    Run uses only those of its own region.
    """
    if re.fullmatch(_NAME, value):
        return None
    pattern, shape = _PATHS[kind]
    match = pattern.fullmatch(value)
    if match is None:
        return f"must be a name such as 'default' or a path {shape}, got {value!r}"
    in_region = match.groupdict().get("region")
    if region is not None and in_region is not None and in_region != region:
        return f"is in region {in_region}, but the service runs in {region} (region)"
    return None


def connector_path(value: str, project: str, region: str) -> str:
    return value if "/" in value else f"projects/{project}/locations/{region}/connectors/{value}"


def network_path(value: str, project: str) -> str:
    return value if "/" in value else f"projects/{project}/global/networks/{value}"


def subnet_path(value: str, project: str, region: str) -> str:
    return value if "/" in value else f"projects/{project}/regions/{region}/subnetworks/{value}"


# Cloud Build matches branches with RE2 (BuildTrigger.github.push.branch: "Regexes matching
# branches to build. The syntax of the regular expressions accepted is the syntax accepted by
# RE2 and described at https://github.com/google/re2/wiki/Syntax"; cloudbuild v1 discovery
# document): no lookaround, no backreferences.
def branch_pattern_problem(pattern: str) -> str | None:
    import re2  # google-re2, the library Cloud Build's syntax comes from

    options = re2.Options()
    options.log_errors = False  # the error is ours to report, in one line
    try:
        re2.compile(pattern, options)
    except re2.error as error:
        reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else ""
        return f"must be an RE2 regular expression, as Cloud Build reads it ({reason}), got {pattern!r}"
    return None


# Job.description: "A human-readable description for the job. This string must not contain
# more than 500 characters." (cloudscheduler v1 discovery document).
SCHEDULER_DESCRIPTION_MAX = 500


# Memory of a Cloud Run instance (service or worker pool) by its CPUs:
# https://cloud.google.com/run/docs/configuring/services/memory-limits and
# https://cloud.google.com/run/docs/configuring/workerpools/memory-limits
MEMORY_RULE = "512Mi to 4Gi per CPU"
_MEMORY = re.compile(r"([1-9][0-9]*)(Mi|Gi)")


def memory_mib(memory: str) -> int:
    """'512Mi' -> 512, '2Gi' -> 2048."""
    match = _MEMORY.fullmatch(memory)
    if match is None:
        raise ValueError(memory)
    return int(match[1]) * (1024 if match[2] == "Gi" else 1)


def memory_problem(memory: str, cpu: str | None) -> str | None:
    """What is wrong with ``memory`` for an instance of ``cpu`` CPUs (None: not known)."""
    if not _MEMORY.fullmatch(memory):
        return f"must be a size in Mi or Gi such as 512Mi or 2Gi, got {memory!r}"
    if cpu is not None and not 512 * int(cpu) <= memory_mib(memory) <= 4096 * int(cpu):
        lowest, highest = _size(512 * int(cpu)), _size(4096 * int(cpu))
        return (
            f"must be between {lowest} and {highest} with cpu {cpu} ({MEMORY_RULE}), got {memory}"
        )
    return None


def _size(mib: int) -> str:
    return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"
