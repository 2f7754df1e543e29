import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from ... import contract
from ...dbinit import AdminCredentials, AppDatabase, DbInitError, initialize, parse_extensions
from ..arguments import add_database_argument


class Command(BaseCommand):
    help = "Create or update the application's role, database, grants and extensions (idempotent)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        add_database_argument(parser, "Database alias whose NAME, USER and PASSWORD are set up.")

    def handle(self, *args, **options):
        settings_dict = connections[options["database"]].settings_dict
        # DATABASE_URL parsers (django-environ, dj-database-url) put a socket directory in
        # OPTIONS["host"]: the administrator connects to that server too, never libpq's default.
        connect_options = settings_dict.get("OPTIONS") or {}
        admin = AdminCredentials(
            host=settings_dict.get("HOST") or connect_options.get("host") or "",
            port=str(settings_dict.get("PORT") or connect_options.get("port") or ""),
            user=contract.DB_ADMIN_USER.get(),
            password=os.environ.get(contract.DB_ADMIN_PASSWORD.name, ""),
        )
        target = AppDatabase(
            database=settings_dict.get("NAME") or "",
            role=settings_dict.get("USER") or "",
            password=settings_dict.get("PASSWORD") or "",
            extensions=parse_extensions(os.environ.get(contract.DB_EXTENSIONS.name, "")),
            owner=contract.DB_OWNER_ROLE.get(),
        )
        report = self.stdout.write if options["verbosity"] >= 1 else (lambda _: None)
        try:
            initialize(admin, target, report)
        except DbInitError as error:
            raise CommandError(f"db-init: {error}") from None
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS("db-init: done"))
