from django.core.management.base import BaseCommand

from ...worker import main


class Command(BaseCommand):
    help = "Become the Celery worker (celery -A APP worker), with a shutdown bounded for Cloud Run."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--concurrency", type=int, help="Worker processes (Celery's default: one per CPU)."
        )

    def handle(self, *args, **options):
        concurrency = options["concurrency"]
        main(["--concurrency", str(concurrency)] if concurrency else [])
