"""What the admin pages of people (ambassadors, applications) share: the phone as Swedes write it and the language
by its name, in the form and for those who may only look; lists that fit a 1280-pixel screen."""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from crm.languages import language_choices, language_name

from .forms import PhoneField
from .normalize import display_phone


def breakable(text: str) -> str:
    """An address that may wrap before its @ and after each dot (<wbr>), so that a list fits a 1280-pixel screen
    without cutting it off."""
    return format_html_join("", "{}<wbr>", ((part,) for part in re.split(r"(?=@)|(?<=\.)", text) if part))


class ListsFitTheScreen:
    """The lists' styles for a 1280-pixel screen: numbers and dates on one line, narrower inputs in the list."""

    class Media:
        css = {"all": ["network/admin-lists.css"]}


class PersonForm(forms.ModelForm):
    """An ambassador's or an application's form: the phone as Swedes write it (070-190 64 48; stored as E.164),
    the language by its name."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "phone" in self.fields:
            typed = self.fields["phone"]
            self.fields["phone"] = PhoneField(
                say_why=True,
                label=typed.label,
                required=typed.required,
                max_length=typed.max_length,
                widget=typed.widget,
            )
            if self.instance.phone:
                self.initial["phone"] = display_phone(self.instance.phone)
        if "language" in self.fields:
            self.fields["language"] = forms.ChoiceField(
                label=self.fields["language"].label, choices=language_choices(), initial=self.initial.get("language")
            )


class PersonAdminMixin:
    """For staff who may only look, the phone and the language are shown as in the form, not as stored."""

    form = PersonForm
    READABLE = {"phone": "phone_display", "language": "language_name"}

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        return [
            (name, {**options, "fields": [self.READABLE.get(field, field) for field in options["fields"]]})
            for name, options in fieldsets
        ]

    @admin.display(description=_("phone"), ordering="phone")
    def phone_display(self, obj) -> str:
        return display_phone(obj.phone)

    @admin.display(description=_("language"))
    def language_name(self, obj) -> str:
        return language_name(obj.language)
