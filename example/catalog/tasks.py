"""Background work of the catalog, run by the Celery worker."""

import hashlib

from celery import shared_task

from .models import Item

CHUNK = 1024 * 1024


@shared_task(name="catalog.checksum_attachment")
def checksum_attachment(item_id: int) -> str:
    """Write the SHA-256 of an item's attachment back to the item.

    Re-runnable: a worker stopped half-way leaves the item unchanged, and the task computes
    the same value when it runs again.
    """
    item = Item.objects.only("attachment").get(pk=item_id)
    if not item.attachment:
        return ""
    digest = hashlib.sha256()
    with item.attachment.open("rb") as attachment:
        for chunk in iter(lambda: attachment.read(CHUNK), b""):
            digest.update(chunk)
    Item.objects.filter(pk=item_id).update(attachment_sha256=digest.hexdigest())
    return digest.hexdigest()
