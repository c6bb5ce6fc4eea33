from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Interest, Locality
from .normalize import normalize_phone

OTHER = "other"


class PublicForm(forms.Form):
    """Shared by the public forms: a honeypot that people never see and a signed start time."""

    website = forms.CharField(required=False, label=_("Leave this field empty"))
    started = forms.CharField(required=False, widget=forms.HiddenInput)


class SignupForm(PublicForm):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("Email"), help_text=_("We send a link here that you click to confirm."))
    phone = forms.CharField(
        label=_("Mobile phone (optional)"), required=False, max_length=30, help_text=_("For example 070-123 45 67.")
    )
    locality = forms.ChoiceField(label=_("Where do you live?"))
    interests = forms.ModelMultipleChoiceField(
        label=_("What are you interested in? (optional)"),
        queryset=Interest.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    motivation = forms.CharField(
        label=_("A few words on why you want to be an ambassador (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    heard_about = forms.CharField(label=_("How did you hear about us? (optional)"), required=False, max_length=200)
    consent = forms.BooleanField(
        label=_("I agree that Kramfors kommun processes my details as described in the privacy notice."),
        error_messages={"required": _("You need to agree to the processing of your details to become an ambassador.")},
    )

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
            *((str(pk), name) for pk, name in Locality.objects.values_list("pk", "name")),
            (OTHER, _("Other / outside the municipality")),
        ]
        for name in ("first_name", "last_name"):
            self.fields[name].widget.attrs["autocomplete"] = "given-name" if name == "first_name" else "family-name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["phone"].widget.attrs.update(autocomplete="tel", inputmode="tel")

    def clean_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except ValueError:
            raise forms.ValidationError(_("Enter a phone number, for example 070-123 45 67.")) from None

    def clean_locality(self) -> Locality | None:
        value = self.cleaned_data["locality"]
        return None if value == OTHER else Locality.objects.get(pk=value)


class RecommendForm(PublicForm):
    tipper_name = forms.CharField(label=_("Your name"), max_length=200)
    tipper_email = forms.EmailField(label=_("Your email"))
    name = forms.CharField(label=_("Their name"), max_length=200)
    contact = forms.CharField(
        label=_("How can we reach them?"), max_length=200, help_text=_("An email address or a phone number.")
    )
    note = forms.CharField(
        label=_("Why would they be a good ambassador? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    field_order = ["tipper_name", "tipper_email", "name", "contact", "note"]


class NewLinkForm(forms.Form):
    email = forms.EmailField(label=_("Your email"))
