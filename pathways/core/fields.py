"""Model fields encrypted at rest (AES-256-GCM, pathways.core.crypto).

* EncryptedCharField: a CharField whose max_length is kept for forms and validation; the column
  is TEXT, since the stored value is longer than the text.
* EncryptedTextField: a TextField.
* EncryptedJSONField: any JSON value, serialised and encrypted; the column is TEXT.
* EncryptedBinaryField: bytes (a scanned document); the column stays binary and holds the same
  ``pw1:<kid>:<base64>`` value as ASCII bytes.

The empty value stays empty: "" (and b"") is stored as it is, so "is there a note" checks,
``CheckConstraint(~Q(reason=""))`` and ``filter(note="")`` keep working and tell no more than a
form already shows. Every other value is encrypted with its own nonce, bound to its column.
An encrypted column cannot be searched, compared or sorted on: any lookup other than ``= ""`` and
``isnull`` raises FieldError naming the field, and nothing may ``order_by`` it (the order would be
the ciphertext's). A value that does not decrypt raises FieldDecryptionError naming the column;
ciphertext is never handed back as if it were the text.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any, TypeAlias

from django.apps import apps as global_apps
from django.core.exceptions import FieldError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, migrations, models, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import ExpressionWrapper, F, Value
from django.db.models.lookups import Exact, IsNull

from pathways.core.crypto import (
    FieldDecryptionError,
    KeyRing,
    decrypt_text,
    encrypt_text,
    is_token,
    keyring,
)
from pathways.core.migrations_ops import update_allowed

#: Any model field (the column's Python types do not matter to encryption).
AnyField: TypeAlias = "models.Field[Any, Any]"

#: Rows per bulk_update in the data migrations and the rotation command.
BATCH_SIZE = 500


def column_label(field: AnyField) -> str:
    """``app_label.model.field``: the associated data that binds a value to its column."""
    return f"{field.model._meta.label_lower}.{field.name}"


def _refuse(field: AnyField, what: str) -> FieldError:
    return FieldError(
        f"{column_label(field)} is encrypted at rest: it cannot be searched, compared or sorted "
        f"on ({what}). Only = '' (blank) and isnull work; filter in Python after reading."
    )


class BlankOnlyExact(Exact[Any]):
    """``field = ''`` (or None): the only comparison an encrypted column supports."""

    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", b"", None):
            raise _refuse(self.lhs.output_field, "= a value")
        return super().get_prep_lookup()


class EncryptedMixin:
    """The shared part of the encrypted fields: lookups, the column label, the data hooks.
    Subclasses define `_to_plain` (value → text to encrypt) and `_from_plain` (the reverse)."""

    encrypted = True

    @property
    def column_label(self) -> str:
        return column_label(self)  # type: ignore[arg-type]

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return BlankOnlyExact
        if lookup_name == "isnull":
            return IsNull
        return None

    def get_transform(self, lookup_name: str) -> Any:
        raise _refuse(self, f"__{lookup_name}")  # type: ignore[arg-type]

    # -- values
    def _blank(self, value: Any) -> bool:
        return value in ("", b"")

    def _to_plain(self, value: Any) -> str:
        raise NotImplementedError

    def _from_plain(self, plain: str) -> Any:
        raise NotImplementedError

    def encrypt_value(self, value: Any, ring: KeyRing | None = None) -> Any:
        """What is stored for the Python `value` (None and blank as they are)."""
        if value is None or self._blank(value):
            return value
        plain = self._to_plain(value)
        if ring is not None:
            return ring.encrypt(plain.encode("utf-8"), aad=self.column_label)
        return encrypt_text(plain, aad=self.column_label)

    def decrypt_value(self, stored: Any) -> Any:
        if stored is None or self._blank(stored):
            return stored
        if not isinstance(stored, str) or not is_token(stored):
            raise FieldDecryptionError(
                f"{self.column_label}: the stored value is not encrypted (was `manage.py "
                "migrate` run?)"
            )
        return self._from_plain(decrypt_text(stored, aad=self.column_label))

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        return self.decrypt_value(value)


class _EncryptedText(EncryptedMixin):
    """Text in, text out: the plaintext is the field's own value."""

    def _to_plain(self, value: Any) -> str:
        return str(value)

    def _from_plain(self, plain: str) -> Any:
        return plain

    def get_prep_value(self, value: Any) -> Any:
        return self.encrypt_value(super().get_prep_value(value))  # type: ignore[misc]


class EncryptedCharField(_EncryptedText, models.CharField[Any, Any]):
    """A CharField encrypted at rest; max_length limits the text (forms, full_clean), and the
    column is TEXT."""

    description = "Text encrypted at rest (up to %(max_length)s characters)"

    def get_internal_type(self) -> str:
        return "TextField"


class EncryptedTextField(_EncryptedText, models.TextField[Any, Any]):
    description = "Text encrypted at rest"


class EncryptedJSONField(EncryptedMixin, models.Field[Any, Any]):
    """A JSON value (dict, list, number, text, true/false; None is SQL NULL) encrypted at rest.
    Unlike JSONField nothing inside it can be queried; code reads it in Python."""

    description = "JSON encrypted at rest"
    empty_strings_allowed = False

    def __init__(self, *args: Any, encoder: type[json.JSONEncoder] | None = None, **kwargs: Any):
        self.encoder = encoder or DjangoJSONEncoder
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.encoder is not DjangoJSONEncoder:
            kwargs["encoder"] = self.encoder
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        return "TextField"

    def _blank(self, value: Any) -> bool:
        return False  # {} and [] are values: encrypted like any other

    def _to_plain(self, value: Any) -> str:
        return json.dumps(value, cls=self.encoder, ensure_ascii=False)

    def _from_plain(self, plain: str) -> Any:
        return json.loads(plain)

    def get_prep_value(self, value: Any) -> Any:
        return self.encrypt_value(value)

    def value_to_string(self, obj: models.Model) -> Any:
        return self.value_from_object(obj)

    def formfield(
        self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any
    ) -> Any:
        from django import forms

        return super().formfield(
            form_class=form_class or forms.JSONField,
            choices_form_class=choices_form_class,
            encoder=self.encoder,
            **kwargs,
        )


class EncryptedBinaryField(EncryptedMixin, models.BinaryField[Any, Any]):
    """Bytes encrypted at rest; the binary column holds the ``pw1:…`` value as ASCII."""

    description = "Bytes encrypted at rest"

    def _to_plain(self, value: Any) -> str:  # pragma: no cover - bytes take encrypt_value
        raise NotImplementedError

    def encrypt_value(self, value: Any, ring: KeyRing | None = None) -> Any:
        if value is None:
            return None
        data = bytes(value)
        if not data:
            return b""
        ring = ring or keyring()
        return ring.encrypt(data, aad=self.column_label).encode("ascii")

    def decrypt_value(self, stored: Any) -> Any:
        if stored is None:
            return None
        data = bytes(stored)
        if not data:
            return b""
        if not data.startswith(b"pw1:"):
            raise FieldDecryptionError(
                f"{self.column_label}: the stored value is not encrypted (was `manage.py "
                "migrate` run?)"
            )
        return keyring().decrypt(data.decode("ascii"), aad=self.column_label)

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        if not prepared:
            value = self.encrypt_value(value)
        return super().get_db_prep_value(value, connection, prepared=True)


# --- finding the encrypted columns, reading and writing their stored values -------------------


def is_encrypted(field: Any) -> bool:
    return bool(getattr(field, "encrypted", False))


def encrypted_fields(apps: Any = None) -> list[AnyField]:
    """Every encrypted column of every installed model (or of a migration's `apps`)."""
    registry = apps or global_apps
    found: list[AnyField] = []
    for model in registry.get_models():
        for field in model._meta.concrete_fields:
            if is_encrypted(field):
                found.append(field)
    return sorted(found, key=column_label)


def raw_output_field(field: AnyField) -> AnyField:
    """A plain field of the column's type: reads and writes the stored value untouched."""
    return models.BinaryField() if isinstance(field, models.BinaryField) else models.TextField()


def stored_as_text(value: Any) -> str | None:
    """A stored value (text, or bytes/memoryview of a binary column) as text."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("ascii", errors="replace")
    return str(value)


def raw_values(model: type[models.Model], field: AnyField) -> models.QuerySet[Any]:
    """(pk, stored value) of the rows whose column is not empty, in primary-key order."""
    raw = ExpressionWrapper(F(field.name), output_field=raw_output_field(field))
    rows: models.QuerySet[Any] = (
        model._base_manager.annotate(_stored=raw)
        .filter(**{f"{field.name}__isnull": False})
        .order_by("pk")
        .values_list("pk", "_stored")
    )
    return rows


@contextlib.contextmanager
def _append_only_lifted(model: type[models.Model]) -> Iterator[None]:
    """History tables refuse UPDATE by trigger (core.migrations_ops.AppendOnlyTrigger). A
    re-encryption rewrites only the stored form of a value, so the UPDATE trigger is lifted for
    the rewrite and back in the same transaction (a failure rolls the lift back too)."""
    conn = connections[router.db_for_write(model)]
    with update_allowed(conn, model._meta.db_table):
        yield


def write_stored(model: type[models.Model], field: AnyField, rows: list[tuple[Any, Any]]) -> None:
    """Set the column of each (pk, stored value) exactly as given (no encryption on the way).
    Runs in the caller's transaction (or its own)."""
    if not rows:
        return
    objs = []
    for pk, stored in rows:
        obj = model(pk=pk)
        setattr(obj, field.attname, Value(stored, output_field=raw_output_field(field)))
        objs.append(obj)
    with transaction.atomic(using=router.db_for_write(model)), _append_only_lifted(model):
        model._base_manager.bulk_update(objs, [field.name], batch_size=BATCH_SIZE)


def pages(
    model: type[models.Model], field: AnyField, size: int = BATCH_SIZE
) -> Iterator[list[tuple[Any, Any]]]:
    """(pk, stored value) of the non-null rows, `size` at a time in primary-key order. Each page
    is its own query (keyset pagination, not `.iterator()`): no cursor stays open on the table
    while a page is written back, which PostgreSQL's ALTER TABLE (see `_append_only_lifted`)
    would refuse."""
    after = None
    while True:
        query = raw_values(model, field)
        if after is not None:
            query = query.filter(pk__gt=after)
        page = list(query[:size])
        if not page:
            return
        yield page
        after = page[-1][0]


# --- data migrations: encrypt existing rows (and decrypt them back) ---------------------------


def _encrypt_rows(model: type[models.Model], field: Any, ring: KeyRing) -> None:
    binary = isinstance(field, models.BinaryField)
    for batch in pages(model, field):
        out: list[tuple[Any, Any]] = []
        for pk, stored in batch:
            if binary:
                data = bytes(stored)
                if not data or data.startswith(b"pw1:"):
                    continue
                out.append((pk, ring.encrypt(data, aad=field.column_label).encode("ascii")))
            else:
                if stored == "" or is_token(stored):
                    continue  # empty stays empty; already encrypted (a resumed migration)
                out.append((pk, ring.encrypt(str(stored).encode("utf-8"), aad=field.column_label)))
        write_stored(model, field, out)


def _decrypt_rows(model: type[models.Model], field: Any, ring: KeyRing) -> None:
    binary = isinstance(field, models.BinaryField)
    for batch in pages(model, field):
        out: list[tuple[Any, Any]] = []
        for pk, stored in batch:
            text = stored_as_text(stored) or ""
            if not is_token(text):
                continue
            plain = ring.decrypt(text, aad=field.column_label)
            out.append((pk, plain if binary else plain.decode("utf-8")))
        write_stored(model, field, out)


def encrypt_existing(
    model_name: str, field_names: list[str], *, app_label: str
) -> migrations.RunPython:
    """A RunPython that encrypts the existing values of `field_names` (after the AlterField to
    the encrypted field) and, reversed, decrypts them back (before the AlterField back)."""

    def run(
        handler: Callable[[type[models.Model], Any, KeyRing], None],
    ) -> Callable[[Any, BaseDatabaseSchemaEditor | None], None]:
        def go(apps: Any, schema_editor: BaseDatabaseSchemaEditor | None) -> None:
            model = apps.get_model(app_label, model_name)
            ring = keyring()
            for name in field_names:
                handler(model, model._meta.get_field(name), ring)
            if schema_editor is not None and schema_editor.connection.vendor == "postgresql":
                # Run the foreign-key checks the updates queued now: PostgreSQL refuses the
                # ALTER TABLE that may follow in this transaction while they are pending.
                with schema_editor.connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")

        return go

    return migrations.RunPython(run(_encrypt_rows), run(_decrypt_rows), elidable=False)
