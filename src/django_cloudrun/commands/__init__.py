"""Command modules of the django-cloudrun CLI, one per command group; cli.py assembles them."""

__all__: list[str] = []
