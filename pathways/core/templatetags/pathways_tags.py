"""Template filters shared by every app: {% load pathways_tags %}."""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_EXTENSION = re.compile(r"(?i)\s*(?:ext\.?|extension|x)\s*(\d+)\s*$")


@register.filter
def tel_href(number: str) -> str:
    """A phone number as a tap-to-call `tel:` target: '+1 (555) 010-2000 ext. 4' ->
    '+15550102000,4' (digits, a leading +, an extension after a pause); '' without digits."""
    text = str(number or "").strip()
    extension = ""
    if found := _EXTENSION.search(text):
        extension, text = found.group(1), text[: found.start()]
    digits = re.sub(r"\D", "", text)
    if not digits:
        return ""
    return ("+" if text.startswith("+") else "") + digits + (f",{extension}" if extension else "")


_BACKTICKS = re.compile(r"`([^`]+)`")


@register.filter
def code_spans(text: str) -> SafeString:
    """Plain text whose `backticked` words are code (as OpenAPI descriptions write them): the
    text is escaped first, so nothing else of it becomes markup."""
    return mark_safe(_BACKTICKS.sub(r"<code>\1</code>", str(escape(text or ""))))  # noqa: S308
