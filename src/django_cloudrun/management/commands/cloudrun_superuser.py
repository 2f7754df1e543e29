from django.core.management.base import BaseCommand, CommandError

from ...superuser import SuperuserError, ensure_superuser
from ..arguments import add_database_argument


class Command(BaseCommand):
    help = "Create the superuser named by DJANGO_SUPERUSER_* if it is missing (idempotent)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help="Apply DJANGO_SUPERUSER_PASSWORD to an existing superuser.",
        )
        add_database_argument(parser, "Database alias.")

    def handle(self, *args, **options):
        try:
            outcome = ensure_superuser(
                database=options["database"], reset_password=options["reset_password"]
            )
        except SuperuserError as error:
            raise CommandError(str(error)) from None
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(f"superuser: {outcome}"))
