from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from ...superuser import SuperuserError, ensure_superuser


class Command(BaseCommand):
    help = "Create the superuser named by DJANGO_SUPERUSER_* if it is missing (idempotent)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help="Apply DJANGO_SUPERUSER_PASSWORD to an existing superuser.",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias.")

    def handle(self, *args, **options):
        try:
            outcome = ensure_superuser(
                database=options["database"], reset_password=options["reset_password"]
            )
        except SuperuserError as error:
            raise CommandError(str(error)) from None
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(f"superuser: {outcome}"))
