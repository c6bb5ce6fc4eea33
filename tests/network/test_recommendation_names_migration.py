"""The rename to one word, "recommendation", keeps what was stored: a contact and an ambassador from a referral, the
email the coordinator got about it ("tip_received", keyed "tip:<id>", naming the referrer) and the daily digest
naming the tipper read the same afterwards, under the new names, and the way back restores them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("network", "0010_contact_address_indexes"), ("campaigns", "0007_invitation_event_and_training_segment")]
AFTER = [("network", "0011_recommendation_names"), ("campaigns", "0008_recommendation_names")]


def migrate(targets=None):
    """Migrate to `targets` (None: the latest, where every other test expects the schema) and return the apps."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_stored_referrals_and_tips_read_the_same_as_recommendations_and_back():
    old = migrate(BEFORE)
    bo = old.get_model("network", "Ambassador").objects.create(first_name="Bo", email="bo@example.se")
    contact = old.get_model("network", "RecruitmentContact").objects.create(
        name="Cecilia Ek",
        contact="cecilia@example.se",
        source="referral",
        referrer_name="Bo Berg",
        referrer_email="bo@example.se",
        referred_by=bo,
    )
    old.get_model("network", "Ambassador").objects.create(
        first_name="Dan", email="dan@example.se", source="referral", referred_by=bo
    )
    Delivery = old.get_model("campaigns", "Delivery")
    Delivery.objects.create(
        template="tip_received",
        to_email="samordnare@kramfors.se",
        key=f"tip:{contact.pk}",
        context={
            "name": "Cecilia Ek",
            "referrer_name": "Bo Berg",
            "referrer_email": "bo@example.se",
            "referred_by": True,
        },
    )
    Delivery.objects.create(
        template="coordinator_digest",
        to_email="samordnare@kramfors.se",
        context={"contacts": [{"name": "Cecilia Ek", "contact": "cecilia@example.se", "tipper": "Bo Berg"}]},
    )

    new = migrate(AFTER)
    renamed = new.get_model("network", "RecruitmentContact").objects.get(pk=contact.pk)
    assert (renamed.contact_details, renamed.source, renamed.recommender_name, renamed.recommender_email) == (
        "cecilia@example.se",
        "recommendation",
        "Bo Berg",
        "bo@example.se",
    )
    assert renamed.recommended_by_id == bo.pk
    dan = new.get_model("network", "Ambassador").objects.get(first_name="Dan")
    assert (dan.source, dan.recommended_by_id) == ("recommendation", bo.pk)
    Delivery = new.get_model("campaigns", "Delivery")
    notice = Delivery.objects.get(template="recommendation_received")
    assert notice.key == f"recommendation:{contact.pk}"
    assert notice.context == {
        "name": "Cecilia Ek",
        "recommender_name": "Bo Berg",
        "recommender_email": "bo@example.se",
        "recommended_by": True,
    }
    digest = Delivery.objects.get(template="coordinator_digest")
    assert digest.context["contacts"] == [
        {"name": "Cecilia Ek", "contact": "cecilia@example.se", "recommender": "Bo Berg"}
    ]

    back = migrate(BEFORE)
    Delivery = back.get_model("campaigns", "Delivery")
    assert Delivery.objects.get(template="tip_received").key == f"tip:{contact.pk}"
    assert back.get_model("network", "RecruitmentContact").objects.get(pk=contact.pk).source == "referral"
    migrate()
