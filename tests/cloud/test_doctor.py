"""doctor's checks of the live project, over fakes: each outcome and its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud_support import PROJECT, make_target
from django_cloudrun.cloud.doctor import (
    DOMAIN_RESTRICTION,
    PUBLIC_ACCESS_PREVENTION,
    REQUIRE_INVOKER_IAM,
    doctor_checks,
)
from django_cloudrun.cloud.errors import CloudError
from django_cloudrun.cloud.interfaces import IamResource, OrgPolicy, ProjectInfo
from django_cloudrun.cloud.preflight import Check
from fakes import Fakes

SERVICE = "shop-django"
BUILD_ID = f"{SERVICE}-build"
BUILD_EMAIL = f"{BUILD_ID}@{PROJECT}.iam.gserviceaccount.com"
BUILD_MEMBER = f"serviceAccount:{BUILD_EMAIL}"
SOURCES = IamResource("bucket", f"{PROJECT}-{SERVICE}-build-sources")
REPOSITORY = IamResource(
    "repository", f"projects/{PROJECT}/locations/europe-west1/repositories/{SERVICE}"
)
LOGS = IamResource("project", PROJECT)


def configure(project_dir: Path, table: str) -> None:
    with (project_dir / "cloudrun.toml").open("a") as file:
        file.write(table)


def checked(project_dir: Path, fakes: Fakes) -> dict[str, Check]:
    return {check.name: check for check in doctor_checks(fakes.clients, make_target(project_dir))}


def test_the_live_checks_follow_preflight_for_what_the_config_uses(project_dir, fakes):
    configure(
        project_dir,
        'public = true\n[build]\ngithub_repository = "shop/site"\n'
        '[database]\nprivate_ip = true\n[vpc]\nmode = "direct"\nnetwork = "prod"\n'
        'subnet = "prod-eu"\n',
    )
    names = list(checked(project_dir, fakes))
    assert names[-4:] == ["Build account", "GitHub", "Public access", "Private IP"]
    assert names[:6] == [
        "Pulumi CLI", "Google credentials", "Secrets provider", "Project", "Billing", "APIs",
    ]  # fmt: skip


def test_a_private_service_without_trigger_or_private_ip_checks_only_the_build_account(
    project_dir, fakes
):
    configure(project_dir, "public = false\n")
    assert list(checked(project_dir, fakes))[-2:] == ["State backend", "Build account"]


def test_without_the_project_the_live_checks_are_not_run(project_dir, fakes):
    fakes.probe.info = ProjectInfo(False)
    check = checked(project_dir, fakes)["Build account"]
    assert (check.ok, check.detail) == (None, "not checked: needs the project")
    assert "iam.account_exists" not in fakes.calls()


def test_a_build_account_not_made_yet_is_left_to_deploy(project_dir, fakes):
    check = checked(project_dir, fakes)["Build account"]
    assert check.ok is True
    assert check.detail == f"{BUILD_EMAIL} does not exist yet: deploy creates it with its roles"


def test_a_build_account_with_its_roles_passes(project_dir, fakes):
    fakes.iam.accounts.add((PROJECT, BUILD_ID))
    fakes.iam.policies = {
        SOURCES: {BUILD_MEMBER: {"roles/storage.objectViewer"}},
        REPOSITORY: {BUILD_MEMBER: {"roles/artifactregistry.writer"}},
        LOGS: {BUILD_MEMBER: {"roles/logging.logWriter"}},
    }
    check = checked(project_dir, fakes)["Build account"]
    assert (check.ok, check.detail) == (True, f"{BUILD_EMAIL} holds its roles")


def test_a_build_account_missing_roles_fails_with_the_grants_that_fix_it(project_dir, fakes):
    fakes.iam.accounts.add((PROJECT, BUILD_ID))
    fakes.iam.policies = {SOURCES: {BUILD_MEMBER: {"roles/storage.objectViewer"}}}
    check = checked(project_dir, fakes)["Build account"]
    assert check.ok is False
    assert check.detail == (
        f"{BUILD_EMAIL} lacks roles/artifactregistry.writer on {REPOSITORY.name}, "
        f"roles/logging.logWriter on {PROJECT}: builds need it to read their sources, push "
        "the image and write their logs"
    )
    assert check.fix == (
        f"gcloud artifacts repositories add-iam-policy-binding {SERVICE} "
        f"--location=europe-west1 --project={PROJECT} --member={BUILD_MEMBER} "
        f"--role=roles/artifactregistry.writer && gcloud projects add-iam-policy-binding "
        f"{PROJECT} --member={BUILD_MEMBER} --role=roles/logging.logWriter"
    )


def test_a_build_account_that_cannot_be_read_is_not_counted_as_failed(project_dir, fakes):
    def denied(project: str, account: str) -> bool:
        raise CloudError("permission iam.serviceAccounts.get denied")

    fakes.iam.account_exists = denied
    check = checked(project_dir, fakes)["Build account"]
    assert check.ok is None
    assert check.detail == "not checked: permission iam.serviceAccounts.get denied"


def test_a_repository_a_trigger_builds_is_connected(project_dir, fakes):
    configure(project_dir, '[build]\ngithub_repository = "Shop/Site"\n')
    fakes.probe.triggers = ["other/repo", "shop/site"]
    check = checked(project_dir, fakes)["GitHub"]
    assert (check.ok, check.detail) == (True, "Shop/Site is connected (a trigger builds it)")


def test_a_repository_no_trigger_builds_cannot_be_confirmed_and_says_how_to_connect(
    project_dir, fakes
):
    configure(project_dir, '[build]\ngithub_repository = "shop/site"\n')
    check = checked(project_dir, fakes)["GitHub"]
    assert check.ok is None
    assert check.detail.startswith(
        "cannot tell whether shop/site is connected to Cloud Build: Google's API does not "
        "list the GitHub App's connections."
    )
    assert '"Repository mapping does not exist"' in check.detail
    assert check.fix == (
        "https://console.cloud.google.com/cloud-build/triggers;region=global/connect"
        f"?project={PROJECT}"
    )


def test_public_access_passes_when_the_invoker_check_may_be_turned_off(project_dir, fakes):
    check = checked(project_dir, fakes)["Public access"]
    assert (check.ok, check.detail) == (True, "the invoker IAM check may be turned off")


def test_domain_restricted_sharing_is_no_obstacle_and_is_named(project_dir, fakes):
    fakes.probe.policies[DOMAIN_RESTRICTION] = OrgPolicy(
        allow_all=False, allowed_values=("C0abc123",)
    )
    check = checked(project_dir, fakes)["Public access"]
    assert check.ok is True
    assert check.detail == (
        "the invoker IAM check may be turned off (domain-restricted sharing refuses allUsers)"
    )


def test_an_enforced_require_invoker_iam_policy_blocks_a_public_service(project_dir, fakes):
    fakes.probe.policies[REQUIRE_INVOKER_IAM] = OrgPolicy(enforced=True)
    check = checked(project_dir, fakes)["Public access"]
    assert check.ok is False
    assert check.detail == (
        f"the organization policy run.managed.requireInvokerIam is enforced on project "
        f"{PROJECT}: the service cannot turn its invoker IAM check off, so it cannot be "
        "public; set public = false in cloudrun.toml, or ask an organization policy "
        "administrator to exempt the project"
    )


GCS_CDN = 'custom_domains = ["shop.example.com"]\n[static]\nmode = "gcs-cdn"\n'


def test_a_public_static_bucket_passes_without_a_policy_against_it(project_dir, fakes):
    configure(project_dir, GCS_CDN)
    check = checked(project_dir, fakes)["Static bucket"]
    assert (check.ok, check.detail) == (True, "the static bucket may be readable by allUsers")


@pytest.mark.parametrize(
    ("constraint", "policy"),
    [
        (PUBLIC_ACCESS_PREVENTION, OrgPolicy(enforced=True)),
        (DOMAIN_RESTRICTION, OrgPolicy(allow_all=False, allowed_values=("C0abc123",))),
    ],
)
def test_either_policy_against_public_buckets_fails_the_static_bucket(
    project_dir, fakes, constraint, policy
):
    configure(project_dir, GCS_CDN)
    fakes.probe.policies[constraint] = policy
    check = checked(project_dir, fakes)["Static bucket"]
    assert check.ok is False
    assert check.detail == (
        f"the organization policy {constraint} on project {PROJECT} refuses the static "
        'bucket\'s public grant (allUsers); set static.mode = "whitenoise", or ask an '
        "organization policy administrator to exempt the project"
    )


def test_without_gcs_cdn_the_static_bucket_is_not_checked(project_dir, fakes):
    assert "Static bucket" not in checked(project_dir, fakes)


def test_an_unreadable_org_policy_is_not_checked(project_dir, fakes):
    fakes.probe.policies[REQUIRE_INVOKER_IAM] = CloudError(
        "orgpolicy.googleapis.com is not enabled on project shop-prod-1"
    )
    check = checked(project_dir, fakes)["Public access"]
    assert check.ok is None
    assert check.detail.startswith("not checked: orgpolicy.googleapis.com is not enabled")


def private(network: str, access: str = "create") -> str:
    """A private IP on `network`, whose Private Services Access deploy creates or expects."""
    return (
        f'[database]\nprivate_ip = true\nprivate_services_access = "{access}"\n'
        f'[vpc]\nmode = "direct"\nsubnet = "eu"\nnetwork = "{network}"\n'
    )


def test_private_services_access_on_the_network_passes(project_dir, fakes):
    configure(project_dir, private("prod", "existing"))
    network = f"projects/{PROJECT}/global/networks/prod"
    fakes.probe.connections[network] = ["google-managed-services-prod"]
    check = checked(project_dir, fakes)["Private IP"]
    assert check.ok is True
    assert check.detail == f"Private Services Access on {network} (google-managed-services-prod)"


def test_a_connection_deploy_would_create_again_is_pointed_out(project_dir, fakes):
    configure(project_dir, private("prod"))
    network = f"projects/{PROJECT}/global/networks/prod"
    fakes.probe.connections[network] = ["other-range"]
    check = checked(project_dir, fakes)["Private IP"]
    assert check.ok is True
    assert check.detail.endswith(
        "unless this app's deploy made it, set database.private_services_access = "
        '"existing", since creating a second one fails'
    )


def test_a_missing_connection_deploy_creates_passes(project_dir, fakes):
    configure(project_dir, private("prod"))
    check = checked(project_dir, fakes)["Private IP"]
    assert (check.ok, check.detail) == (
        True,
        f"no Private Services Access on projects/{PROJECT}/global/networks/prod yet: deploy "
        "creates it",
    )


def test_an_existing_connection_that_is_missing_fails_with_the_commands(project_dir, fakes):
    configure(project_dir, private("projects/host-1/global/networks/shared", "existing"))
    check = checked(project_dir, fakes)["Private IP"]
    assert ("probe.private_connections", "projects/host-1/global/networks/shared") in (
        fakes.journal
    )
    assert check.ok is False
    assert check.fix == (
        "gcloud compute addresses create google-managed-services-shared --global "
        "--purpose=VPC_PEERING --prefix-length=16 --network=shared --project host-1 && "
        "gcloud services vpc-peerings connect --service=servicenetworking.googleapis.com "
        "--ranges=google-managed-services-shared --network=shared --project host-1"
    )


@pytest.mark.parametrize("disabled", ["run.googleapis.com", "iamcredentials.googleapis.com"])
def test_doctor_checks_every_api_the_configuration_needs(project_dir, fakes, disabled):
    configure(project_dir, '[media]\nmode = "api"\n')
    fakes.probe.disabled = {disabled}
    check = checked(project_dir, fakes)["APIs"]
    assert check.ok is False
    assert check.detail == f"APIs not enabled on project {PROJECT}: {disabled}"


def test_a_project_that_cannot_be_read_skips_the_state_and_live_checks(project_dir, fakes):
    fakes.probe.disabled = {"cloudbilling.googleapis.com"}
    found = checked(project_dir, fakes)
    assert found["Project"].ok is False
    assert found["Project"].fix == (
        f"gcloud services enable cloudbilling.googleapis.com --project {PROJECT}"
    )
    assert "State backend" not in found
    assert found["Build account"].ok is None
