"""The checklist before sending checks the rendered email, not a promise."""

from __future__ import annotations

import copy

import pytest

from campaigns.emails import campaign_templates
from campaigns.services.newsletters import campaign_checklist
from tests.factories import AmbassadorFactory, CampaignFactory

pytestmark = pytest.mark.django_db


def unsubscribe_item(campaign) -> bool:
    (ok,) = [ok for label, ok in campaign_checklist(campaign) if "avregistrera" in label or "unsubscribe" in label]
    return ok


def test_a_layout_without_the_unsubscribe_link_fails_the_checklist(settings, tmp_path):
    AmbassadorFactory()
    campaign = CampaignFactory(body="Text")
    assert unsubscribe_item(campaign)

    folder = tmp_path / "emails" / "campaign"
    folder.mkdir(parents=True)
    (folder / "body.html").write_text("<p>{{ body_html|safe }}</p>")
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [tmp_path, *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
    campaign_templates.cache_clear()
    try:
        assert not unsubscribe_item(campaign)
    finally:
        campaign_templates.cache_clear()
