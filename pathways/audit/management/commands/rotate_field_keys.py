"""manage.py rotate_field_keys: re-encrypt every encrypted value that is not under the current
key (the first of PATHWAYS_FIELD_KEYS). Idempotent and resumable: each batch is its own
transaction, and a run after an interruption carries on with what is left.

It first surveys every encrypted column. A value under a key id that is not configured (or a
value that is not encrypted at all) stops it before anything is changed, with the column and the
number of rows; it exits non-zero. `--dry-run` prints the survey and changes nothing.
See docs/operations.md (key management)."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from tqdm import tqdm

from pathways.audit.services import audit_system
from pathways.core.crypto import ENV_VAR, FieldDecryptionError, KeyRing, keyring, token_kid
from pathways.core.fields import (
    BATCH_SIZE,
    column_label,
    encrypted_fields,
    raw_values,
    stored_as_text,
    write_stored,
)

#: How many row ids a refusal shows for a column (ids only, never values).
SHOWN_IDS = 3


def _rows(n: int) -> str:
    return f"{n:,} row" if n == 1 else f"{n:,} rows"


@dataclass
class Survey:
    """The stored values of one column, by key id."""

    column: Any
    by_kid: Counter[str] = field(default_factory=Counter)
    unknown: Counter[str] = field(default_factory=Counter)
    unknown_ids: list[str] = field(default_factory=list)
    plain: int = 0
    plain_ids: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return column_label(self.column)

    def stale(self, ring: KeyRing) -> int:
        return sum(n for kid, n in self.by_kid.items() if kid != ring.current)


def survey(field: Any, ring: KeyRing, batch_size: int) -> Survey:
    result = Survey(field)
    for pk, stored in raw_values(field.model, field).iterator(chunk_size=batch_size):
        text = stored_as_text(stored)
        if not text:
            continue
        kid = token_kid(text)
        if kid is None:
            result.plain += 1
            if len(result.plain_ids) < SHOWN_IDS:
                result.plain_ids.append(str(pk))
        elif kid in ring.keys:
            result.by_kid[kid] += 1
        else:
            result.unknown[kid] += 1
            if len(result.unknown_ids) < SHOWN_IDS:
                result.unknown_ids.append(str(pk))
    return result


def stale_rows(
    model: type[models.Model], field: Any, ring: KeyRing, after: Any, size: int
) -> tuple[list[Any], Any]:
    """The next `size` rows (by primary key, after `after`) and the primary keys among them
    whose value is not under the current key."""
    query = raw_values(model, field)
    if not isinstance(field, models.BinaryField):  # the current key's values stay in SQL
        query = query.exclude(_stored="").exclude(_stored__startswith=f"pw1:{ring.current}:")
    if after is not None:
        query = query.filter(pk__gt=after)
    page = list(query[:size])
    pks = [pk for pk, stored in page if token_kid(stored_as_text(stored) or "") != ring.current]
    return pks, (page[-1][0] if page else None)


def reencrypt(
    model: type[models.Model], field: Any, ring: KeyRing, pks: list[Any], *, done_before: int = 0
) -> int:
    """Re-encrypt the rows `pks` under the current key, in one transaction. The rows are read
    again under lock, so a value the application changed meanwhile is not overwritten."""
    binary = isinstance(field, models.BinaryField)
    label = column_label(field)
    with transaction.atomic():
        rows = raw_values(model, field).filter(pk__in=pks).select_for_update()
        out: list[tuple[Any, Any]] = []
        for pk, stored in rows:
            text = stored_as_text(stored) or ""
            kid = token_kid(text)
            if kid is None or kid == ring.current:
                continue
            try:
                plain = ring.decrypt(text, aad=label)
            except FieldDecryptionError as exc:
                raise CommandError(
                    f"{exc} (row id {pk}). This batch was not changed; {done_before:,} values "
                    "were re-encrypted before it and stay so."
                ) from None
            token = ring.encrypt(plain, aad=label)
            out.append((pk, token.encode("ascii") if binary else token))
        write_stored(model, field, out)
    return len(out)


class Command(BaseCommand):
    help = (
        f"Re-encrypt every encrypted value under the current key (the first of {ENV_VAR}). "
        "Idempotent and resumable; refuses, changing nothing, when a value is under a key "
        "that is not configured."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"Rows per transaction (default {BATCH_SIZE}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Survey and report; change nothing."
        )
        parser.add_argument("--quiet", action="store_true", help="No progress bars.")

    def handle(self, *args: Any, **options: Any) -> None:
        ring = keyring()
        size = max(1, int(options["batch_size"]))
        quiet = options["quiet"] or not sys.stderr.isatty()
        if ring.development:
            self.stdout.write(
                self.style.WARNING(
                    f"The current key is the development key ({ENV_VAR} is not set)."
                )
            )
        surveys = [
            survey(f, ring, size)
            for f in tqdm(
                encrypted_fields(), desc="survey", unit="column", disable=quiet, file=sys.stderr
            )
        ]
        problems = []
        for s in surveys:
            for kid, n in sorted(s.unknown.items()):
                problems.append(
                    f"  {s.label}: {_rows(n)} under key id {kid!r}, which is not in {ENV_VAR} "
                    f"(e.g. row ids {', '.join(s.unknown_ids)})"
                )
            if s.plain:
                problems.append(
                    f"  {s.label}: {_rows(s.plain)} not encrypted (run `manage.py migrate`; "
                    f"e.g. row ids {', '.join(s.plain_ids)})"
                )
        if problems:
            raise CommandError(
                "Nothing was changed: these values cannot be re-encrypted with the keys in "
                f"{ENV_VAR}. Add the missing key(s) after the current one and run again.\n"
                + "\n".join(problems)
            )
        width = max((len(s.label) for s in surveys), default=0)
        if options["dry_run"]:
            self.stdout.write(f"Current key {ring.current!r}. Values per column (dry run):")
            for s in surveys:
                kids = ", ".join(f"{kid} {n:,}" for kid, n in sorted(s.by_kid.items())) or "none"
                self.stdout.write(f"  {s.label:<{width}}  {kids}")
            return
        total = 0
        report: list[tuple[str, int, int]] = []
        for s in surveys:
            stale = s.stale(ring)
            done = 0
            if stale:
                model = s.column.model
                with tqdm(
                    total=stale, desc=s.label, unit="row", disable=quiet, file=sys.stderr
                ) as bar:
                    after = None
                    while True:
                        pks, after = stale_rows(model, s.column, ring, after, size)
                        if pks:
                            n = reencrypt(model, s.column, ring, pks, done_before=total + done)
                            done += n
                            bar.update(n)
                        if after is None:
                            break
            current = sum(s.by_kid.values()) - done
            report.append((s.label, done, current))
            total += done
        for label, done, current in report:
            self.stdout.write(
                f"  {label:<{width}}  {done:>9,} re-encrypted  {current:>9,} already current"
            )
        if total:
            with transaction.atomic():
                audit_system(
                    event_type="field_keys.rotate",
                    object_type="core.field_keys",
                    object_id=ring.current,
                    changes={"re_encrypted": [None, total], "key": [None, ring.current]},
                )
        self.stdout.write(
            self.style.SUCCESS(f"{total:,} values re-encrypted under key {ring.current!r}.")
        )
