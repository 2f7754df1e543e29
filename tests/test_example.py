"""The example project on the real PostgreSQL: pages, search, citext, hstore, media, commands."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from catalog.models import Item

pytestmark = pytest.mark.django_db


def make_items(*names: str, age: timedelta = timedelta(0)) -> list[Item]:
    """Items about ``age`` old, one second apart so that the last is the newest."""
    items = Item.objects.bulk_create(Item(name=name) for name in names)
    newest = timezone.now() - age
    for seconds, item in enumerate(reversed(items)):
        Item.objects.filter(pk=item.pk).update(created_at=newest - timedelta(seconds=seconds))
    return items


@pytest.fixture
def media_root(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def test_list_page_shows_the_50_newest_items_with_one_query(client, django_assert_num_queries):
    make_items(*(f"Item {n}" for n in range(60)))

    with django_assert_num_queries(1):
        response = client.get("/")

    assert response.status_code == 200
    shown = [item.name for item in response.context["items"]]
    assert shown == [f"Item {n}" for n in range(59, 9, -1)]
    assert "Item 59" in response.content.decode()


@pytest.mark.parametrize("query", ["cafe creme", "caffe crem", "CAFÉ CRÈME"])
def test_search_finds_accented_name_from_plain_or_misspelled_query(client, query):
    make_items("Thé Vert 3", "Café Crème 12", "Jalapeño Piñata 7")

    response = client.get("/search/", {"q": query})

    assert response.status_code == 200
    assert [item.name for item in response.context["items"]] == ["Café Crème 12"]
    assert "Café Crème 12" in response.content.decode()


def test_search_scores_a_name_and_its_unaccented_spelling_as_identical(client):
    make_items("Crème Brûlée")

    response = client.get("/search/", {"q": "creme brulee"})

    [item] = response.context["items"]
    assert item.similarity == pytest.approx(1.0)


def test_search_without_query_lists_nothing(client):
    make_items("Café Crème 12")

    response = client.get("/search/")

    assert response.status_code == 200
    assert response.context["items"] == []


def test_contact_email_lookup_ignores_case_in_the_database():
    alice = Item.objects.create(name="Alice's", contact_email="alice@example.com")
    Item.objects.create(name="Bob's", contact_email="bob@example.com")

    assert list(Item.objects.filter(contact_email="ALICE@EXAMPLE.COM")) == [alice]


def test_hstore_attributes_round_trip_and_filter_by_key():
    red = Item.objects.create(name="Red", attributes={"color": "red", "size": "M"})
    Item.objects.create(name="Blue", attributes={"color": "blue"})

    red.refresh_from_db()

    assert red.attributes == {"color": "red", "size": "M"}
    assert list(Item.objects.filter(attributes__color="red")) == [red]


def test_uploaded_attachment_is_stored_under_media_root(media_root):
    item = Item.objects.create(
        name="With file", attachment=SimpleUploadedFile("notes.txt", b"hello")
    )

    stored = Path(item.attachment.path)
    assert stored.read_bytes() == b"hello"
    assert stored.parent == media_root / "attachments" / timezone.now().strftime("%Y/%m")


def test_admin_upload_is_listed_in_the_changelist(admin_client, media_root):
    upload = SimpleUploadedFile("report.txt", b"quarterly numbers")

    response = admin_client.post(
        "/admin/catalog/item/add/",
        {"name": "Report", "attributes": "{}", "attachment": upload},
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    item = Item.objects.get(name="Report")
    assert Path(item.attachment.path).read_bytes() == b"quarterly numbers"
    assert item.attachment.name in admin_client.get("/admin/catalog/item/").content.decode()


def test_seed_items_creates_the_requested_count():
    out = StringIO()

    call_command("seed_items", "--count", "25", "--batch", "10", stdout=out)

    assert Item.objects.count() == 25
    assert "Created 25 items" in out.getvalue()
    assert Item.objects.filter(name="Café Crème 20").exists()


def test_seed_items_again_adds_nothing_unless_forced():
    call_command("seed_items", "--count", "10", stdout=StringIO())
    call_command("seed_items", "--count", "10", stdout=StringIO())
    assert Item.objects.count() == 10

    call_command("seed_items", "--count", "10", "--force", stdout=StringIO())
    assert Item.objects.count() == 20
    assert Item.objects.values("name").distinct().count() == 20


def test_prune_items_deletes_only_items_older_than_the_given_days():
    make_items("Ancient 1", "Ancient 2", age=timedelta(days=400))
    make_items("Recent", age=timedelta(days=300))
    out = StringIO()

    call_command("prune_items", "--older-than-days", "365", stdout=out)

    assert list(Item.objects.values_list("name", flat=True)) == ["Recent"]
    assert "Deleted 2 items older than 365 days" in out.getvalue()


def test_prune_items_deletes_the_attachments_of_pruned_items(media_root):
    old = Item.objects.create(name="Old", attachment=SimpleUploadedFile("old.txt", b"x"))
    Item.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    path = Path(old.attachment.path)

    call_command("prune_items", "--older-than-days", "7", stdout=StringIO())

    assert not path.exists()
