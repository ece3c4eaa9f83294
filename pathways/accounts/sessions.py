"""The server-side session: Django's database sessions read in one short statement, and the
flash messages it carries, kept bounded. docs/decisions/0020-cheap-signed-in-requests.md"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.messages.storage.session import SessionStorage
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.db.models import Model
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    """Django's database sessions (`django.contrib.sessions.backends.db`): the same table, the
    same expiry, the same writes; the read on every request is one prepared statement."""

    def load(self) -> dict[str, Any]:
        model = self.model
        alias = router.db_for_read(model)
        connection = connections[alias]
        expire = model._meta.get_field("expire_date")
        sql = _session_sql(model, alias)
        now = expire.get_db_prep_value(timezone.now(), connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django's: an unknown or expired key is not reused
            return {}
        return self.decode(row[0])


@functools.cache
def _session_sql(model: type[Model], alias: str) -> str:
    quote = connections[alias].ops.quote_name
    return (
        f"SELECT {quote('session_data')} FROM {quote(model._meta.db_table)} "  # noqa: S608
        f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s"
    )


#: Flash messages a session keeps until a page shows them: the newest ones. A client that never
#: opens the page it is sent to (a script, a dropped connection) does not grow its session.
PENDING_MESSAGES = 10


class BoundedSessionStorage(SessionStorage):
    """Django's session message storage (messages never travel in a cookie of their own,
    docs/decisions/0015-first-mfa-enrolment-and-secrets.md), keeping at most the newest
    PENDING_MESSAGES unread messages."""

    def _store(self, messages: list[Any], response: Any, *args: Any, **kwargs: Any) -> list[Any]:
        newest = messages[-PENDING_MESSAGES:]
        unstored: list[Any] = super()._store(newest, response, *args, **kwargs)  # type: ignore[misc]
        return unstored
