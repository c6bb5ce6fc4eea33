"""The import reads the status words a coordinator writes, and a locality it creates stays off the public signup
form until the coordinator has looked at it."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps

from network.forms import SignupForm
from network.models import Ambassador, Locality
from network.resources import AmbassadorResource

pytestmark = pytest.mark.django_db


def do_import(rows: list[list[str]], header=("Förnamn", "E-post", "Status", "Ort")):
    text = "\n".join(";".join(row) for row in [list(header), *rows]) + "\n"
    return AmbassadorResource().import_file(text.encode())


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("Vilande", Ambassador.Status.PAUSED),
        ("vilande", Ambassador.Status.PAUSED),
        ("Pausad", Ambassador.Status.PAUSED),
        ("Aktiv", Ambassador.Status.ACTIVE),
        ("Alumn", Ambassador.Status.ALUMNI),
        ("Avslutad", Ambassador.Status.ALUMNI),
        ("AVSLUTAD", Ambassador.Status.ALUMNI),
        (" Vilande ", Ambassador.Status.PAUSED),
    ],
)
def test_the_status_words_a_coordinator_uses_are_read(word, status):
    report = do_import([["Anna", "anna@example.se", word, ""]])
    assert not report.rejected
    assert Ambassador.objects.get().status == status


def test_an_unknown_status_names_the_words_that_are_read():
    report = do_import([["Anna", "anna@example.se", "Sjukskriven", ""]])
    assert "vilande" in report.rejected[0].message and "avslutad" in report.rejected[0].message


def locality_choices() -> set[str]:
    return {label for _value, label in SignupForm().fields["locality"].choices}


def test_a_locality_an_import_creates_is_not_offered_on_the_signup_form_until_made_public(seed_data):
    assert "Nyland" in locality_choices()  # the municipality's localities are
    do_import([["Anna", "anna@example.se", "Aktiv", "Kramfrs"], ["Bo", "bo@example.se", "Aktiv", "Nyland"]])
    typo = Locality.objects.get(name="Kramfrs")
    assert not typo.is_public
    assert Locality.objects.get(name="Nyland").is_public  # an existing one is left as it is
    assert "Kramfrs" not in locality_choices()
    form = SignupForm(data={"locality": str(typo.pk)})
    assert "locality" in form.errors  # nor accepted when posted

    typo.is_public = True
    typo.save()
    assert "Kramfrs" in locality_choices()


def test_a_locality_added_in_the_admin_is_public_by_default():
    assert Locality.objects.create(name="Ny by").is_public


def test_upgrading_hides_the_localities_that_are_not_the_municipalitys(seed_data):
    Locality.objects.create(name="Kramfrs")  # imported before there was a choice
    Locality.objects.create(name="Bollsta bruk")
    import_module("network.migrations.0005_locality_is_public_and_search").hide_unlisted_localities(apps, None)
    assert not Locality.objects.get(name="Kramfrs").is_public
    assert Locality.objects.get(name="Nyland").is_public
    assert Locality.objects.filter(is_public=True).count() == Locality.objects.count() - 2
