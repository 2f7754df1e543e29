"""The example's task on a real worker of the example project: admin action to result page."""

from __future__ import annotations

import hashlib
import os
import time

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from catalog.models import Item
from django_cloudrun import contract
from pg import EXAMPLE, REPO

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
CONTENT = b"an attachment the worker reads back\n"


@pytest.fixture
def example_worker(queue, tmp_path, settings, start_worker):
    """A worker of the example project on this test's database, media and queue."""
    from celery import current_app

    from mysite.celery import app

    previous = current_app._get_current_object()
    app.set_current()  # shared tasks send through the project's app, as in the project
    settings.MEDIA_ROOT = str(tmp_path / "media")
    app.conf.task_default_queue = queue
    start_worker(
        "example",
        environment={
            contract.CLOUDRUN_CELERY_APP.name: "mysite",
            contract.DJANGO_SETTINGS_MODULE.name: "testing_settings",
            contract.DB_NAME.name: connection.settings_dict["NAME"],
            contract.MEDIA_ROOT.name: settings.MEDIA_ROOT,
            "PYTHONPATH": os.pathsep.join([str(EXAMPLE), str(REPO / "tests"), str(REPO / "src")]),
        },
    )
    yield
    app.conf.task_default_queue = "celery"
    previous.set_current()


def test_the_admin_action_puts_the_checksum_on_the_items_page(admin_client, example_worker):
    item = Item.objects.create(name="Manual", attachment=ContentFile(CONTENT, name="manual.txt"))
    page = f"/items/{item.pk}/"
    assert "pending" in admin_client.get(page).content.decode()

    response = admin_client.post(
        "/admin/catalog/item/", {"action": "compute_checksums", "_selected_action": [item.pk]}
    )
    assert response.status_code == 302

    expected = hashlib.sha256(CONTENT).hexdigest()
    deadline = time.monotonic() + 20
    while expected not in (html := admin_client.get(page).content.decode()):
        assert time.monotonic() < deadline, html
        time.sleep(0.1)
    item.refresh_from_db()
    assert item.attachment_sha256 == expected


def test_the_cron_command_sends_a_task_per_item_without_a_checksum(example_worker, capsys):
    from django.core.management import call_command

    done = Item.objects.create(name="Done", attachment=ContentFile(b"a", name="a.txt"))
    Item.objects.filter(pk=done.pk).update(attachment_sha256="0" * 64)
    waiting = Item.objects.create(name="Waiting", attachment=ContentFile(b"b", name="b.txt"))
    Item.objects.create(name="Bare")
    call_command("checksum_attachments")
    assert "sent 1 checksum task" in capsys.readouterr().out
    deadline = time.monotonic() + 20
    while not Item.objects.get(pk=waiting.pk).attachment_sha256:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert Item.objects.get(pk=waiting.pk).attachment_sha256 == hashlib.sha256(b"b").hexdigest()
    assert Item.objects.get(pk=done.pk).attachment_sha256 == "0" * 64
