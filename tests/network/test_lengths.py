"""Lengths agree end to end: a form, the admin and the import accept nothing longer than the model field it fills,
every full name we hold fits the delivery row that sends to it, and every address field holds 254 characters.

Read from the field definitions, so that changing one side without the other fails here.
"""

from __future__ import annotations

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.test import RequestFactory
from django.utils import translation

from campaigns.models import Delivery
from network import importing
from network.forms import NewLinkForm, RecommendationForm, SignupForm
from network.models import Ambassador, Application, Interest, Locality, RecruitmentContact
from network.normalize import EMAIL_MAX_LENGTH, PHONE_MAX_LENGTH, normalize_phone
from network.resources import AmbassadorResource
from tests.factories import CampaignFactory, SegmentFactory, start_sending
from tests.network.test_import import HEADER, csv_bytes

# Each public form and the model its fields fill (a form field fills the model field of the same name).
PUBLIC_FORMS = [(SignupForm, Application), (RecommendationForm, RecruitmentContact)]
# Typed in any form (+46 (0)70-190 64 48) and stored normalised, as E.164: at most PHONE_MAX_LENGTH characters.
NORMALISED = {"phone"}


def length_pairs(form_fields: dict, model) -> list[tuple[str, int | None, int]]:
    """(name, the form field's max_length, the model field's max_length) for each form field that fills a model
    field with a maximum length."""
    pairs = []
    for name, form_field in form_fields.items():
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if not getattr(model_field, "max_length", None) or name in NORMALISED:
            continue
        if model_field.choices:  # a choice field takes only its choices: the longest is the form's maximum
            pairs.append(
                (name, max(len(str(value)) for value, _label in model_field.flatchoices), model_field.max_length)
            )
        else:
            pairs.append((name, getattr(form_field, "max_length", None), model_field.max_length))
    return pairs


@pytest.mark.parametrize(("form_class", "model"), PUBLIC_FORMS)
def test_a_public_form_field_is_never_longer_than_the_model_field_it_fills(form_class, model):
    pairs = length_pairs(form_class.base_fields, model)
    assert {"email", "recommender_email"} & {name for name, _form, _model in pairs}  # the 259-character address
    for name, form_length, model_length in pairs:
        assert form_length is not None, f"{form_class.__name__}.{name} has no max_length"
        assert form_length <= model_length, f"{form_class.__name__}.{name}: {form_length} > {model_length}"


def test_a_typed_phone_number_is_stored_in_no_more_than_the_model_holds():
    for model in (Ambassador, Application):
        assert model._meta.get_field("phone").max_length >= PHONE_MAX_LENGTH
    assert len(normalize_phone("+46 (0)70-190 64 48")) <= PHONE_MAX_LENGTH
    with pytest.raises(ValueError):
        normalize_phone("+" + "9" * 25)


NETWORK_ADMINS = [
    model_admin for model, model_admin in admin.site._registry.items() if model._meta.app_label == "network"
]


@pytest.mark.django_db
@pytest.mark.parametrize("model_admin", NETWORK_ADMINS, ids=lambda a: a.model.__name__)
def test_an_admin_form_field_is_never_longer_than_the_model_field_it_fills(model_admin, admin_user):
    request = RequestFactory().get("/")
    request.user = admin_user
    form_class = model_admin.get_form(request)
    for name, form_length, model_length in length_pairs(form_class.base_fields, model_admin.model):
        assert form_length is not None and form_length <= model_length, (model_admin, name)


@pytest.mark.parametrize("model", [Ambassador, Application, get_user_model()], ids=lambda m: m.__name__)
def test_every_full_name_we_send_to_fits_the_delivery_row(model):
    longest = model._meta.get_field("first_name").max_length + 1 + model._meta.get_field("last_name").max_length
    assert longest <= Delivery._meta.get_field("to_name").max_length


def test_every_address_field_and_form_field_holds_254_characters():
    fields = [
        field
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.EmailField)
    ]
    assert Delivery._meta.get_field("to_email") in fields
    assert Ambassador._meta.get_field("email") in fields
    for field in fields:
        assert field.max_length == EMAIL_MAX_LENGTH == 254, field
    for form_class in (SignupForm, RecommendationForm, NewLinkForm):
        email_fields = [f for f in form_class.base_fields.values() if isinstance(f, forms.EmailField)]
        assert email_fields
        for field in email_fields:
            assert field.max_length == EMAIL_MAX_LENGTH, form_class


# The import ---------------------------------------------------------------------------------------------------

COLUMN_LIMITS = {
    "first_name": Ambassador._meta.get_field("first_name"),
    "last_name": Ambassador._meta.get_field("last_name"),
    "locality": Locality._meta.get_field("name"),
    "interests": Interest._meta.get_field("name"),
}
COLUMN_INDEX = {"first_name": 0, "last_name": 1, "locality": 4, "interests": 5}


def test_the_import_checks_lengths_against_the_model_fields():
    assert importing.MAX_LENGTHS == {name: field.max_length for name, field in COLUMN_LIMITS.items()}


def import_row(column: str, value: str):
    row = ["Anna", "Ödmark", "anna@example.se", "", "", "", "", ""]
    row[COLUMN_INDEX[column]] = value
    with translation.override("en"):
        return AmbassadorResource().import_file(csv_bytes([row], header=HEADER), dry_run=True)


@pytest.mark.django_db
@pytest.mark.parametrize("column", list(COLUMN_LIMITS))
def test_the_import_takes_a_value_as_long_as_the_model_field_and_refuses_one_character_more(column):
    limit = COLUMN_LIMITS[column].max_length
    assert import_row(column, "Å" * limit).counts["created"] == 1
    report = import_row(column, "Ö" * (limit + 1))
    assert report.counts == {"created": 0, "updated": 0, "unchanged": 0, "rejected": 1}
    assert f"is longer than {limit} characters" in report.rejected[0].message


# The defect itself: a 100 + 100 character name the import allows, in a newsletter ---------------------------------


@pytest.mark.django_db
def test_a_name_of_the_longest_first_and_last_name_gets_a_delivery_with_the_whole_name(seed_data):
    first, last = "Å" * Ambassador._meta.get_field("first_name").max_length, "Ö" * 100
    report = AmbassadorResource().import_file(csv_bytes([[first, last, "lang@example.se", "", "", "", "", ""]]))
    assert report.applied and report.counts["created"] == 1
    ambassador = Ambassador.objects.get()
    assert len(ambassador.full_name) == 201

    sending = CampaignFactory(segment=SegmentFactory())
    ids = start_sending(sending)

    delivery = Delivery.objects.get(pk__in=ids)
    assert delivery.to_name == f"{first} {last}"
    assert delivery.status == Delivery.Status.QUEUED
