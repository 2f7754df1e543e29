"""Engine and API errors reduced to one line; 403s turned into the role to grant."""

from __future__ import annotations

import pytest

from django_cloudrun.cloud.errors import is_permission_error, missing_permission, one_line, role_for


def test_one_line_drops_the_error_count_and_bullets():
    text = "error: 2 errors occurred:\n\t* creating Job: boom\n\t* updating Service: bang\n"
    assert one_line(text) == "creating Job: boom updating Service: bang"


def test_one_line_is_cut_to_its_limit():
    assert one_line("x" * 50, limit=10) == "x" * 9 + "…"


@pytest.mark.parametrize(
    ("permission", "role"),
    [
        ("run.services.create", "roles/run.admin"),
        ("iam.serviceAccounts.actAs", "roles/iam.serviceAccountUser"),
        ("iam.serviceAccounts.create", "roles/iam.serviceAccountAdmin"),
        ("resourcemanager.projects.setIamPolicy", "roles/resourcemanager.projectIamAdmin"),
        ("cloudsql.instances.create", "roles/cloudsql.admin"),
        ("unknown.thing.do", "roles/editor"),
    ],
)
def test_role_for_the_narrowest_known_prefix(permission, role):
    assert role_for(permission) == role


def test_a_403_without_a_permission_name_still_says_how_to_get_access():
    text = "googleapi: Error 403: The caller does not have permission, forbidden"
    assert is_permission_error(text)
    assert missing_permission(text, "p").message == (
        "permission denied in project p (googleapi: Error 403: The caller does not have "
        "permission, forbidden); ask a project owner for the role that allows it, e.g. "
        '`gcloud projects add-iam-policy-binding p --member="user:$(gcloud config get-value '
        'account)" --role=roles/editor`'
    )


def test_a_service_account_permission_phrased_as_does_not_have_access():
    text = "Error 403: Caller does not have iam.serviceAccounts.actAs access to the account"
    assert missing_permission(text, "p").message.startswith(
        "permission iam.serviceAccounts.actAs denied in project p: your account needs "
        "roles/iam.serviceAccountUser;"
    )


def test_other_errors_are_not_permission_errors():
    assert not is_permission_error("googleapi: Error 409: already exists")
