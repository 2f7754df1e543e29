"""Session-level PostgreSQL advisory locks, held on a Django connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper

__all__ = ["advisory_lock"]


@contextmanager
def advisory_lock(connection: BaseDatabaseWrapper, key: int) -> Iterator[None]:
    """Hold ``pg_advisory_lock(key)`` while the block runs; other holders wait their turn.

    The lock belongs to the database session, so the block must keep using this connection
    (Django does, until the connection is closed); it is released explicitly because a
    pooled connection outlives the block.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
