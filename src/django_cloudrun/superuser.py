"""The deploy-time superuser, created from DJANGO_SUPERUSER_* (Django's own variable names).

It must never break the project's own data: it is created only while the database has no
superuser at all (a project whose fixtures or setup command made its own admin keeps it, alone),
it is never given a primary key (the database's sequence picks one, as for any user), and
a row a fixture loads over it later wins, since loaddata updates the row that has its
primary key.
"""

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

    has_flag = any(field.name == "is_superuser" for field in user_model._meta.get_fields())
    others = (
        list(
            manager.filter(is_superuser=True)
            .order_by("pk")
            .values_list(user_model.USERNAME_FIELD, flat=True)[:3]
        )
        if has_flag
        else []
    )
    if others:
        return f"{username} not created: the database has its own ({', '.join(others)})"

    fields = dict(lookup)
    if email and user_model.USERNAME_FIELD != "email" and hasattr(user_model, "email"):
        fields["email"] = email
    try:
        with transaction.atomic(using=database):
            manager.create_superuser(password=password, **fields)
    except IntegrityError as error:
        if manager.filter(**lookup).exists():
            return f"{username} exists"  # another job created it between lookup and insert
        raise SuperuserError(
            f"{username} cannot be created: {str(error).splitlines()[0]}; rows loaded with "
            "explicit primary keys may have left the user table's sequence behind "
            "(run `manage.py sqlsequencereset auth` and apply its output)"
        ) from None
    return f"{username} created"
