"""Options the management commands share, spelled as Django's own commands spell them."""

from argparse import ArgumentParser

from django.db import DEFAULT_DB_ALIAS

__all__ = ["add_database_argument"]


def add_database_argument(parser: ArgumentParser, help: str) -> None:
    """--database ALIAS, defaulting to Django's default database, as migrate has it."""
    parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help=help)
