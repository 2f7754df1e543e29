from django.core.management.base import BaseCommand
from django.core.wsgi import get_wsgi_application

from ... import contract
from ...server import DEFAULT_HOST, CloudRunServer, server_options


class Command(BaseCommand):
    help = "Run the production server (gunicorn) on 0.0.0.0:$PORT, sized for Cloud Run."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--port",
            type=int,
            help=f"Port to listen on (default: ${contract.PORT.name} or {contract.PORT.default}).",
        )
        parser.add_argument(
            "--host",
            default=DEFAULT_HOST,
            help="Address to listen on: all of them in a container (the default); "
            "127.0.0.1 keeps a server on a workstation off the network.",
        )
        parser.add_argument(
            "--fd",
            type=int,
            action="append",
            default=[],
            help="Serve this inherited listening socket instead of --host and --port (more "
            "than once for several). A supervisor that holds the socket can replace this "
            "server by another without refusing a connection; workers accept only once "
            "the startup check passes.",
        )

    def handle(self, *args, **options):
        config = server_options(host=options["host"], port=options["port"], fds=options["fd"])
        # The application is loaded here, before the workers fork, so each worker starts
        # with Django ready; no database connection is opened before the fork.
        CloudRunServer(get_wsgi_application(), config).run()
