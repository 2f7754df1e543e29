"""Deletes old catalog items and their attachments: the example's cron job."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from catalog.models import Item


class Command(BaseCommand):
    help = "Deletes catalog items created more than --older-than-days days ago (365)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=int, default=365, help="Age in days (365).")

    def handle(self, *args, older_than_days: int, verbosity: int, **options):
        if older_than_days < 0:
            raise CommandError(f"--older-than-days must be 0 or more, got {older_than_days}.")
        old = Item.objects.filter(created_at__lt=timezone.now() - timedelta(days=older_than_days))
        files = list(old.exclude(attachment="").values_list("attachment", flat=True))
        deleted, _ = old.delete()
        # Rows first: a file left behind by a crash is harmless, a row without its file is not.
        storage = Item._meta.get_field("attachment").storage
        for name in files:
            storage.delete(name)
        if verbosity >= 1:
            self.stdout.write(
                self.style.SUCCESS(f"Deleted {deleted} items older than {older_than_days} days.")
            )
