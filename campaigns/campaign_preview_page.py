"""The campaign's preview page in the admin: the email exactly as one recipient gets it (subject, sender, body with
their merge fields), shown in a sandboxed frame, with a search over all the campaign's recipients (name or email
address, on the server) to choose whom. Without a choice it shows the first recipient, never the coordinator's own
name, and it always says whom it shows. Its own page, so its forms are nobody's nested form."""

from __future__ import annotations

from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext

from .emails import campaign_preview_content
from .models import Campaign
from .selectors import campaign_recipients, campaign_recipients_matching

QUERY_LENGTH = 100


def chosen_id(request) -> int | None:
    """The recipient asked for (?ambassador=), or None for nothing or garbage."""
    value = request.GET.get("ambassador", "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else None


def preview_page(model_admin, request, campaign: Campaign):
    may_see_people = request.user.has_perm("network.view_ambassador")
    query = request.GET.get("q", "").strip()[:QUERY_LENGTH]
    matches, chosen, notice = None, None, ""
    if may_see_people:
        matches = campaign_recipients_matching(campaign, query=query)
        asked = chosen_id(request)
        if asked is not None:
            chosen = campaign_recipients(campaign).filter(pk=asked).first()
            if chosen is None:
                notice = gettext("That person is not among the campaign's recipients.")
        if chosen is None and matches.people:
            chosen = matches.people[0]
    content = campaign_preview_content(campaign=campaign, ambassador=chosen, viewer_name=request.user.get_full_name())
    email_url = reverse("admin:campaigns_campaign_preview", args=[campaign.pk])
    if chosen is not None:
        email_url += "?" + urlencode({"ambassador": chosen.pk})
    return TemplateResponse(
        request,
        "admin/campaigns/campaign/preview.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": gettext("Preview of %s") % campaign,
            "campaign": campaign,
            "has_view_permission": True,
            "may_see_people": may_see_people,
            "query": query,
            "matches": matches,
            "chosen": chosen,
            "notice": notice,
            "content": content,
            "email_url": email_url,
        },
    )
