import os

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections

from ... import contract
from ...locks import advisory_lock

# Shared by every migrate run against the same database.
MIGRATE_LOCK_KEY = 0x646A616E676F_6D  # "djangom"


class Command(BaseCommand):
    help = "Apply migrations under a PostgreSQL advisory lock, then collect static files."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="Database alias to migrate."
        )
        parser.add_argument(
            "--skip-collectstatic",
            action="store_true",
            help="Do not run collectstatic (also skipped when CLOUDRUN_STATIC_COLLECTED=1).",
        )

    def handle(self, *args, **options):
        alias, verbosity = options["database"], options["verbosity"]
        with advisory_lock(connections[alias], MIGRATE_LOCK_KEY):
            call_command("migrate", database=alias, interactive=False, verbosity=verbosity)
            collected = os.environ.get(contract.STATIC_COLLECTED.name) == "1"
            if not (collected or options["skip_collectstatic"]):
                call_command("collectstatic", interactive=False, verbosity=verbosity)
