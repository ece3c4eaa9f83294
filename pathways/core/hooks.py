"""A hook: one call a lower app makes into a layer above it without importing it.

The lower app declares the hook (a module-level `Hook`) and calls `hook.function(...)` where the
event happens; the app above registers the function in its `AppConfig.ready()`. A hook holds
exactly one function, so who answers the call is never in doubt. An unregistered hook fails
loudly: calling it raises ImproperlyConfigured (inside a service, so the write rolls back
rather than skip what the app above must do), and the system check below names it at start-up.
docs/decisions/0023 lists the hooks and who fills them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

F = TypeVar("F", bound=Callable[..., Any])


class Hook(Generic[F]):
    #: Every hook declared, for the system check.
    declared: ClassVar[list[Hook[Any]]] = []

    def __init__(self, name: str, *, filled_by: str) -> None:
        """`name`: the event ("referrals.answered"); `filled_by`: the app expected to register
        the function, named in the error when it did not."""
        self.name = name
        self.filled_by = filled_by
        self._function: F | None = None
        Hook.declared.append(self)

    def register(self, function: F) -> None:
        """Register the function (once: a second, different one is refused, nothing changes)."""
        if self._function is not None and self._function is not function:
            raise ImproperlyConfigured(
                f"The hook {self.name!r} is already filled by "
                f"{self._function.__module__}.{self._function.__qualname__}; nothing was changed."
            )
        self._function = function

    @property
    def registered(self) -> bool:
        return self._function is not None

    @property
    def function(self) -> F:
        """The registered function; ImproperlyConfigured when nothing registered one."""
        if self._function is None:
            raise ImproperlyConfigured(
                f"Nothing registered the hook {self.name!r}: {self.filled_by} registers it in "
                "its AppConfig.ready() (is it in INSTALLED_APPS?)."
            )
        return self._function


@checks.register()
def check_hooks(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """System check: every declared hook is filled."""
    return [
        checks.Error(
            f"Nothing registered the hook {hook.name!r}.",
            hint=f"{hook.filled_by} registers it in its AppConfig.ready().",
            id="core.E101",
        )
        for hook in Hook.declared
        if not hook.registered
    ]
