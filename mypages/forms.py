from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from network.forms import EmailAddressField as AddressField
from network.forms import LineField, PhoneField
from network.models import Interest, Locality

OTHER = "other"


class SignInForm(forms.Form):
    email = AddressField(
        label=_("Your email address"),
        help_text=_("The address you get the ambassador network's email at. We send a sign-in link there."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class DetailsForm(forms.Form):
    first_name = LineField(label=_("First name"), max_length=100)
    last_name = LineField(label=_("Last name"), max_length=100, required=False)
    phone = PhoneField(
        label=_("Mobile phone (optional)"),
        required=False,
        max_length=30,
        help_text=_("For example 070-123 45 67."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    locality = forms.ChoiceField(label=_("Where do you live?"))
    interests = forms.ModelMultipleChoiceField(
        label=_("What are you interested in? (optional)"),
        queryset=Interest.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["locality"].choices = [
            ("", _("Choose a locality")),
            *((str(pk), name) for pk, name in Locality.objects.values_list("pk", "name")),
            (OTHER, _("Other / outside the municipality")),
        ]
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"

    def clean_locality(self) -> Locality | None:
        value = self.cleaned_data["locality"]
        return None if value == OTHER else Locality.objects.filter(pk=value).first()


class MailingsForm(forms.Form):
    newsletters = forms.BooleanField(label=_("Newsletters"), required=False)
    invitations = forms.BooleanField(label=_("Invitations to events and trainings"), required=False)
