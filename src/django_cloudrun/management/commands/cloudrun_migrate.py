import os

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from ... import contract
from ...dbstart import DatabaseStarting, wait_until_accepting
from ...locks import advisory_lock
from ...superuser import SuperuserError, ensure_superuser
from ..arguments import add_database_argument

# Shared by every migrate run against the same database.
MIGRATE_LOCK_KEY = 0x646A616E676F_6D  # "djangom"


class Command(BaseCommand):
    help = (
        "Apply migrations under a PostgreSQL advisory lock, collect static files, and create "
        "the superuser named by DJANGO_SUPERUSER_* if it is missing."
    )
    # Checked in handle() with the database, as Django's migrate does.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        add_database_argument(parser, "Database alias to migrate.")
        parser.add_argument("--skip-checks", action="store_true", help="Skip system checks.")
        parser.add_argument(
            "--skip-collectstatic",
            action="store_true",
            help="Do not run collectstatic (also skipped when CLOUDRUN_STATIC_COLLECTED=1, "
            "unless CLOUDRUN_STATIC_BUCKET is set).",
        )

    def handle(self, *args, **options):
        alias, verbosity = options["database"], options["verbosity"]
        report = self.stdout.write if verbosity >= 1 else (lambda _: None)
        try:
            wait_until_accepting(connections[alias], report)
        except DatabaseStarting as error:
            raise CommandError(str(error)) from None
        if not options["skip_checks"]:
            self.check(databases=[alias])
        with advisory_lock(connections[alias], MIGRATE_LOCK_KEY):
            call_command("migrate", database=alias, interactive=False, verbosity=verbosity)
            # Files collected into the image serve WhiteNoise; a static bucket needs its own.
            in_image = contract.is_true(os.environ.get(contract.STATIC_COLLECTED.name, ""))
            collected = in_image and not os.environ.get(contract.STATIC_BUCKET.name)
            if not (collected or options["skip_collectstatic"]):
                call_command("collectstatic", interactive=False, verbosity=verbosity)
        if os.environ.get(contract.DJANGO_SUPERUSER_USERNAME.name):
            try:
                outcome = ensure_superuser(database=alias)
            except SuperuserError as error:
                raise CommandError(str(error)) from None
            if verbosity >= 1:
                self.stdout.write(self.style.SUCCESS(f"superuser: {outcome}"))
