"""What every signed-in request reads, each in one short statement: the user and the device that
passed the second step (the session's row: pathways.accounts.sessions).
docs/decisions/0020-cheap-signed-in-requests.md

Each is still read from the database on every request, so signing out, deactivating a user,
changing a password and removing a device take effect at the next request. What changes is the
cost: the ORM compiles a query afresh each time (most of a request's time when the view itself
is small); these statements are written once per model and database from the models' own field
lists, and each column goes through the converters the ORM would apply (so dates, UUIDs and
encrypted fields read as through the ORM)."""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.models import Model
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

M = TypeVar("M", bound=Model)


class _Loader:
    """One model's read by primary key on one connection, prepared once: the statement, the
    fields it reads (the others deferred) and each column's converters, as the ORM's compiler
    finds them (the backend's, then the field's own, e.g. decryption)."""

    def __init__(self, model: type[Model], connection: Any, fields: tuple[str, ...] | None):
        meta = model._meta
        pk = meta.pk
        assert pk is not None
        chosen = [
            f for f in meta.concrete_fields if fields is None or f.name in fields or f.primary_key
        ]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in chosen)
        self.model = model
        self.pk = pk
        table, key = quote(meta.db_table), quote(pk.column)
        self.sql = f"SELECT {columns} FROM {table} WHERE {key} = %s"  # noqa: S608 (model names)
        self.names = [f.attname for f in chosen]
        self.converters = []
        for position, field in enumerate(chosen):
            column = field.get_col(meta.db_table)
            functions = connection.ops.get_db_converters(column) + column.get_db_converters(
                connection
            )
            if functions:
                self.converters.append((position, functions, column))

    def load(self, connection: Any, pk: Any) -> Any:
        try:
            value = self.pk.get_db_prep_value(self.pk.to_python(pk), connection)
        except (ValidationError, TypeError, ValueError):  # a malformed id finds nothing
            return None
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [value])
            row = cursor.fetchone()
        if row is None:
            return None
        values = list(row)
        for position, functions, column in self.converters:
            for function in functions:
                values[position] = function(values[position], column, connection)
        return self.model.from_db(connection.alias, self.names, values)


@functools.lru_cache(maxsize=64)
def _loader(model: type[Model], connection: Any, fields: tuple[str, ...] | None) -> _Loader:
    return _Loader(model, connection, fields)  # per connection: converters are its backend's


def load_by_pk(model: type[M], pk: Any, fields: tuple[str, ...] | None = None) -> M | None:
    """The row with primary key `pk` as a model instance, or None. Fields not in `fields` are
    deferred (read from the database only if used)."""
    connection = connections[router.db_for_read(model)]
    instance: M | None = _loader(model, connection, fields).load(connection, pk)
    return instance


class UserBackend(ModelBackend):
    """Django's ModelBackend (passwords, permissions, `is_active` refused) whose per-request
    `get_user` is one prepared statement."""

    def get_user(self, user_id: Any) -> Any:
        from django.contrib.auth import get_user_model

        user = load_by_pk(get_user_model(), user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


#: A device's fields the second-step check reads on every request; the rest (the app's shared
#: secret, encrypted at rest, a key's public key) load only when a code is checked.
DEVICE_FIELDS = ("user", "name", "confirmed")


class VerifiedDeviceMiddleware(OTPMiddleware):
    """django-otp's OTPMiddleware (the device must still exist, be confirmed and belong to the
    user, or the session is no longer verified), reading the device in one prepared statement
    without decrypting its secret."""

    def _device_from_persistent_id(self, persistent_id: str) -> Any:
        from django.apps import apps

        try:
            label, device_id = self._normalize_persistent_id(persistent_id).rsplit("/", 1)
            model = apps.get_model(label)
        except (ValueError, LookupError):
            return None
        if not issubclass(model, Device):
            return None
        return load_by_pk(model, device_id, DEVICE_FIELDS)
