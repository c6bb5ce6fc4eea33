"""`{% load phones %}`: `{{ number|phone }}` shows a phone number as Swedes write it (070-365 34 98), however it is
stored (E.164) or was typed; anything else as it is (network.normalize.display_phone)."""

from __future__ import annotations

from django import template

from network.normalize import display_phone

register = template.Library()


@register.filter(name="phone")
def phone(value) -> str:
    return display_phone(str(value)) if value else ""
