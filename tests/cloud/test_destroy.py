"""destroy's orchestration over fakes: what holds data, refusal, confirmation, the order."""

from __future__ import annotations

import pytest

from cloud_support import PASSPHRASE, PROJECT
from django_cloudrun.cloud.deploy import deploy
from django_cloudrun.cloud.destroy import destroy
from django_cloudrun.cloud.errors import CloudError, PrerequisiteError
from django_cloudrun.cloud.events import BUCKET_TYPE, INSTANCE_TYPE, SERVICE_TYPE
from django_cloudrun.cloud.interfaces import ResourceFailure
from fakes import DIGEST

SERVICE = "shop-django"
WHERE = f"{SERVICE} ({PROJECT}, stack default)"
DATA = (
    f"Cloud SQL instance {SERVICE}-db (deletion protection on) and media bucket "
    f"gs://{PROJECT}-{SERVICE}-django-media"
)


@pytest.fixture(autouse=True)
def passphrase(monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE["PULUMI_CONFIG_PASSPHRASE"])


def calls(fakes) -> list[str]:
    """The calls after preflight's."""
    return [name for name in fakes.calls() if not name.startswith("probe.")]


@pytest.fixture
def deployed(target, fakes):
    deploy(target, fakes.clients, image=f"img@{DIGEST}", environ=PASSPHRASE)
    fakes.journal.clear()
    fakes.engine.runs.clear()
    return fakes


def refusal(target, fakes, **options) -> CloudError:
    with pytest.raises(CloudError) as caught:
        destroy(target, fakes.clients, **options)
    return caught.value


def test_destroy_checks_prerequisites_first(target, deployed):
    deployed.probe.cli = None
    error = refusal(target, deployed, delete_data=True, confirm=lambda q: True)
    assert error.message.startswith("Pulumi CLI not found on PATH;")
    assert deployed.calls() == ["probe.pulumi_cli"]  # nothing more is asked


def test_destroy_refuses_while_the_database_and_bucket_hold_data(target, deployed):
    error = refusal(target, deployed, confirm=lambda q: True)
    assert isinstance(error, PrerequisiteError) and error.exit_code == 2
    assert error.message == (
        f"refusing to destroy {WHERE}: {DATA} hold data; back it up, then pass --delete-data "
        "to delete it with everything else"
    )
    assert calls(deployed) == ["engine.resources"]


def test_delete_data_asks_naming_the_data_then_destroys(target, deployed):
    questions: list[str] = []
    count = len(deployed.engine.state)
    done = destroy(
        target, deployed.clients, delete_data=True, confirm=lambda q: questions.append(q) or True
    )
    assert questions == [f"Destroy {WHERE}: {count} resources, deleting the data in {DATA}?"]
    assert calls(deployed) == ["engine.resources", "engine.up", "engine.destroy"]
    assert done == f"destroyed {WHERE}"
    assert deployed.engine.state == {}


def test_delete_data_first_lifts_protection_on_the_data_holders_only(target, deployed):
    destroy(target, deployed.clients, delete_data=True, confirm=lambda q: True)
    program, declared, targets = deployed.engine.runs[0]
    instance = declared.urn_of(INSTANCE_TYPE, f"{SERVICE}-sql")
    bucket = declared.urn_of(BUCKET_TYPE, f"{SERVICE}-media")
    assert sorted(targets) == sorted([instance, bucket])
    assert sorted(deployed.engine.touched[-2:]) == sorted([instance, bucket])
    sql = declared.inputs[(INSTANCE_TYPE, f"{SERVICE}-sql")]
    assert sql["deletionProtection"] is False
    assert sql["settings"]["deletionProtectionEnabled"] is False
    assert declared.inputs[(BUCKET_TYPE, f"{SERVICE}-media")]["forceDestroy"] is True
    assert program.media_force_destroy is True


def test_a_normal_deploy_keeps_the_data_protected(target, fakes):
    deploy(target, fakes.clients, image=f"img@{DIGEST}", environ=PASSPHRASE)
    declared = fakes.engine.runs[0][1]
    assert declared.inputs[(INSTANCE_TYPE, f"{SERVICE}-sql")]["deletionProtection"] is True
    assert declared.inputs[(BUCKET_TYPE, f"{SERVICE}-media")]["forceDestroy"] is False


def test_without_a_terminal_and_without_yes_destroy_asks_for_yes(target, deployed):
    error = refusal(target, deployed, delete_data=True, confirm=lambda q: None)
    assert isinstance(error, PrerequisiteError)
    assert error.message == f"no terminal to confirm on: pass --yes to destroy {WHERE}"
    assert calls(deployed) == ["engine.resources"]


def test_answering_no_deletes_nothing(target, deployed):
    error = refusal(target, deployed, delete_data=True, confirm=lambda q: False)
    assert (error.message, error.exit_code) == ("destroy cancelled; nothing was deleted", 1)
    assert calls(deployed) == ["engine.resources"]


def test_an_empty_stack_has_nothing_to_destroy(target, fakes):
    done = destroy(target, fakes.clients, confirm=lambda q: True)
    assert (
        done
        == f"nothing to destroy: stack default in gs://{PROJECT}-django-cloudrun-state is empty"
    )
    assert calls(fakes) == ["engine.resources"]


def test_a_stack_without_data_holders_needs_no_delete_data(target, fakes):
    fakes.engine.state = {f"urn:pulumi:default::{SERVICE}::{SERVICE_TYPE}::s": SERVICE_TYPE}
    assert destroy(target, fakes.clients, confirm=lambda q: True) == f"destroyed {WHERE}"
    assert calls(fakes) == ["engine.resources", "engine.destroy"]


def test_a_resource_that_cannot_be_deleted_is_named(target, deployed):
    urn = f"urn:pulumi:default::{SERVICE}::x${BUCKET_TYPE}::{SERVICE}-media"
    deployed.engine.fail_destroy = ResourceFailure(
        urn,
        BUCKET_TYPE,
        "error: googleapi: Error 409: The bucket you tried to delete is not empty.",
    )
    error = refusal(target, deployed, delete_data=True, confirm=lambda q: True)
    assert error.message == (
        f"storage.Bucket {SERVICE}-media could not be deleted: googleapi: Error 409: The "
        "bucket you tried to delete is not empty.; fix that, then run destroy again"
    )
