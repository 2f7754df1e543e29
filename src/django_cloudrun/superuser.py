"""The deploy-time superuser, created from DJANGO_SUPERUSER_* (Django's own variable names)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from . import contract
from .errors import CloudRunError

__all__ = ["SuperuserError", "ensure_superuser"]


class SuperuserError(CloudRunError):
    """The superuser cannot be created as configured; the message names the variable."""


def ensure_superuser(
    *,
    database: str = "default",
    reset_password: bool = False,
    environ: Mapping[str, str] = os.environ,
) -> str:
    """Create the superuser if missing; returns what happened (never the password)."""
    username = environ.get(contract.DJANGO_SUPERUSER_USERNAME.name, "").strip()
    email = environ.get(contract.DJANGO_SUPERUSER_EMAIL.name, "").strip()
    password = environ.get(contract.DJANGO_SUPERUSER_PASSWORD.name, "")
    if not username:
        raise SuperuserError(f"{contract.DJANGO_SUPERUSER_USERNAME.name} is not set")
    if not password:
        raise SuperuserError(f"{contract.DJANGO_SUPERUSER_PASSWORD.name} is not set")

    user_model = get_user_model()
    manager = user_model._default_manager.db_manager(database)
    lookup = {user_model.USERNAME_FIELD: username}
    existing = manager.filter(**lookup).first()
    if existing is not None:
        if not reset_password:
            return f"{username} exists"
        existing.set_password(password)
        existing.save(using=database, update_fields=["password"])
        return f"{username} password reset"

    fields = dict(lookup)
    if email and "email" != user_model.USERNAME_FIELD and hasattr(user_model, "email"):
        fields["email"] = email
    try:
        with transaction.atomic(using=database):
            manager.create_superuser(password=password, **fields)
    except IntegrityError:
        # Another job created it between our lookup and insert.
        return f"{username} exists"
    return f"{username} created"
