"""Migration 0013: the stage "declined" now says who said no. Stored "declined" rows keep their value, which reads
"Tackade nej" (the contact said no); "closed" (Avslutad av oss) is new, and the history keeps its moves."""

from __future__ import annotations

import pytest

from tests.network.test_recommendation_names_migration import migrate

pytestmark = pytest.mark.django_db(transaction=True)


def test_stored_declined_contacts_and_their_history_read_as_the_contact_said_no():
    old = migrate([("network", "0012_training_counts_walk_in")])
    Contact, StageChange = old.get_model("network", "RecruitmentContact"), old.get_model("network", "StageChange")
    per = Contact.objects.create(name="Per Åkesson", status="declined")
    move = StageChange.objects.create(contact=per, from_status="contacted", to_status="declined")

    new = migrate([("network", "0013_contact_stages_who_said_no")])
    contact = new.get_model("network", "RecruitmentContact").objects.get(pk=per.pk)
    assert contact.status == "declined"
    assert dict(contact._meta.get_field("status").choices)["declined"] == "Said no"
    assert "closed" in dict(contact._meta.get_field("status").choices)
    assert new.get_model("network", "StageChange").objects.get(pk=move.pk).to_status == "declined"
    migrate()
