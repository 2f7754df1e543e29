from django.core.management.base import BaseCommand
from django.core.wsgi import get_wsgi_application

from ...server import CloudRunServer, server_options


class Command(BaseCommand):
    help = "Run the production server (gunicorn) on 0.0.0.0:$PORT, sized for Cloud Run."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, help="Port to listen on (default: $PORT or 8080).")

    def handle(self, *args, **options):
        config = server_options()
        if options["port"]:
            config["bind"] = [f"0.0.0.0:{options['port']}"]
        # The application is loaded here, before the workers fork, so each worker starts
        # with Django ready; no database connection is opened before the fork.
        CloudRunServer(get_wsgi_application(), config).run()
