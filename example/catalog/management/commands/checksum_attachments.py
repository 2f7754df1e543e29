from django.core.management.base import BaseCommand

from catalog.models import Item
from catalog.tasks import checksum_attachment


class Command(BaseCommand):
    help = "Send a checksum task for every item whose attachment has none yet."
    requires_system_checks: list[str] = []

    def handle(self, *args, **options):
        pending = Item.objects.exclude(attachment="").filter(attachment_sha256="")
        sent = 0
        for item_id in pending.values_list("pk", flat=True):
            checksum_attachment.delay(item_id)
            sent += 1
        if options["verbosity"] >= 1:
            self.stdout.write(f"sent {sent} checksum task{'s' if sent != 1 else ''}")
