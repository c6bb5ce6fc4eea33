from __future__ import annotations

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Interest, Locality
from .normalize import EMAIL_MAX_LENGTH, clean_text, normalize_email, normalize_phone

OTHER = "other"


class LineField(forms.CharField):
    """One line of text, cleaned by `normalize.clean_text`: no CR, LF or other control character gets stored.

    The length is checked on the cleaned value, the one stored."""

    def to_python(self, value):
        value = clean_text(super().to_python(value))
        return self.empty_value if value in self.empty_values else value


class PhoneField(LineField):
    """A phone number as typed (070-123 45 67), cleaned to E.164 as stored (normalize.normalize_phone), or an error:
    the public forms' example, or with `say_why` (the admin) the reason the number was refused."""

    def __init__(self, *, say_why: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.say_why = say_why

    def clean(self, value) -> str:
        value = super().clean(value)
        try:
            return normalize_phone(value)
        except ValueError as error:
            message = str(error) if self.say_why else _("Enter a phone number, for example 070-123 45 67.")
            raise forms.ValidationError(message, code="invalid") from None


class TextField(forms.CharField):
    """Text of several lines (a textarea), cleaned by `normalize.clean_text`: line breaks kept, other controls not."""

    widget = forms.Textarea

    def to_python(self, value):
        value = clean_text(super().to_python(value), multiline=True)
        return self.empty_value if value in self.empty_values else value


class EmailAddressField(forms.EmailField):
    """An address as `normalize.normalize_email` stores it (an international domain in ASCII), at most 254
    characters, or the reason why not: the same rules as the import's and the admin's."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", EMAIL_MAX_LENGTH)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        try:
            return normalize_email(value)
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid") from None


# For a ModelAdmin's `formfield_overrides`: the admin cleans what it stores as the public forms and the import do.
CLEAN_INPUT_OVERRIDES = {
    models.EmailField: {"form_class": EmailAddressField},
    models.CharField: {"form_class": LineField},
    models.TextField: {"form_class": TextField},
}


class PublicForm(forms.Form):
    """Shared by the public forms: a honeypot that people never see and a signed start time.

    The fields people fill in are LineField, TextField and EmailAddressField, no longer than the model fields
    they fill (tests/network/test_lengths.py checks)."""

    website = forms.CharField(required=False, label=_("Leave this field empty"))
    started = forms.CharField(required=False, widget=forms.HiddenInput)


class SignupForm(PublicForm):
    first_name = LineField(label=_("First name"), max_length=100)
    last_name = LineField(label=_("Last name"), max_length=100)
    email = EmailAddressField(label=_("Email"), help_text=_("We send a link here that you click to confirm."))
    # As typed (070-123 45 67); stored as E.164, at most normalize.PHONE_MAX_LENGTH characters.
    phone = PhoneField(
        label=_("Mobile phone (optional)"), required=False, max_length=30, help_text=_("For example 070-123 45 67.")
    )
    locality = forms.ChoiceField(label=_("Where do you live?"))
    interests = forms.ModelMultipleChoiceField(
        label=_("What are you interested in? (optional)"),
        queryset=Interest.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    motivation = TextField(
        label=_("A few words on why you want to be an ambassador (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    heard_about = LineField(label=_("How did you hear about us? (optional)"), required=False, max_length=200)
    consent = forms.BooleanField(
        label=_("I agree that Kramfors kommun processes my details as described in the privacy notice."),
        error_messages={"required": _("You need to agree to the processing of your details to become an ambassador.")},
    )
    # The signed token of an invitation to apply (network.recruitment), when the form was opened from one.
    invitation = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)

    field_order = [
        "first_name",
        "last_name",
        "email",
        "phone",
        "locality",
        "interests",
        "motivation",
        "heard_about",
        "consent",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["locality"].choices = [
            ("", _("Choose a locality")),
            *((str(pk), name) for pk, name in Locality.objects.filter(is_public=True).values_list("pk", "name")),
            (OTHER, _("Other / outside the municipality")),
        ]
        for name in ("first_name", "last_name"):
            self.fields[name].widget.attrs["autocomplete"] = "given-name" if name == "first_name" else "family-name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["phone"].widget.attrs.update(autocomplete="tel", inputmode="tel")

    def clean_locality(self) -> Locality | None:
        value = self.cleaned_data["locality"]
        return None if value == OTHER else Locality.objects.get(pk=value)


class RecommendationForm(PublicForm):
    recommender_name = LineField(label=_("Your name"), max_length=200)
    recommender_email = EmailAddressField(label=_("Your email"))
    name = LineField(label=_("Their name"), max_length=200)
    contact_details = LineField(
        label=_("How can we reach them?"), max_length=200, help_text=_("An email address or a phone number.")
    )
    note = TextField(
        label=_("Why would they be a good ambassador? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    recommender_may_be_named = forms.BooleanField(
        label=_("May we tell them that the recommendation came from you?"),
        required=False,
    )

    field_order = [
        "recommender_name",
        "recommender_email",
        "name",
        "contact_details",
        "note",
        "recommender_may_be_named",
    ]


class NewLinkForm(forms.Form):
    email = EmailAddressField(label=_("Your email"))
