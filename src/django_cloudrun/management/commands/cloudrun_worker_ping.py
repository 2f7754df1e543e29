from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Send a task to the Celery workers and exit 0 once one answered."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout",
            type=float,
            default=30.0,
            help="Seconds to wait for an answer (default 30).",
        )

    def handle(self, *args, **options):
        try:
            from ...celery import PingError, configured_app, ping
        except ImportError:
            raise CommandError(
                'Celery is not installed; pip install "django-cloudrun[worker]"'
            ) from None
        timeout = options["timeout"]
        if timeout <= 0:
            raise CommandError("--timeout must be a positive number of seconds")
        try:
            elapsed = ping(configured_app(), timeout)
        except PingError as error:
            raise CommandError(
                f"{error}; is a worker (celery -A APP worker) running on CELERY_BROKER_URL?"
            ) from None
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(f"a worker answered in {elapsed:.3f} s"))
