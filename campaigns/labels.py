"""What the admin shows instead of internal codes: which email a delivery was, subjects without raw merge fields."""

from __future__ import annotations

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .merge import FIELD, FIELDS

# Delivery.template → what the coordinator reads ("Ansökan avböjd", not "application_declined").
TEMPLATE_LABELS = {
    "application_confirm": _("Confirmation link"),
    "already_ambassador": _("Already an ambassador"),
    "application_approved": _("Application approved"),
    "application_declined": _("Application declined"),
    "coordinator_digest": _("Daily summary to the coordinator"),
    "recommendation_received": _("New recommendation, to the coordinator"),
    "recommendation_notice": _("Notice to a recommended person"),
    "recruitment_invitation": _("Invitation to apply"),
    "follow_ups_due": _("Follow-ups due, to their owner"),
    "mypages_link": _("Link to My pages"),
    "event_confirmation": _("Event registration confirmed"),
    "event_promoted": _("Moved up from an event's waiting list"),
    "event_reminder": _("Event reminder"),
    "event_follow_up": _("Follow-up after an event"),
    "event_waitlisted": _("On an event's waiting list"),
    "event_cancelled": _("Event cancellation"),
    "event_updated": _("New time or place for an event"),
    "campaign": _("Campaign"),
    "step": _("Email series"),
}
# A merge field as the admin shows it in a subject: "Välkommen, [förnamn]!".
FIELD_LABELS = {
    "first_name": _("first name"),
    "last_name": _("last name"),
    "full_name": _("name"),
    "locality": _("locality"),
    "unsubscribe_url": _("unsubscribe link"),
    "rsvp_url": _("answer link"),
}


def template_label(template: str) -> str:
    return str(TEMPLATE_LABELS.get(template, capfirst(template.replace("_", " "))))


def readable_subject(text: str) -> str:
    """A subject (or any text) with each merge field shown as its name in brackets, for lists and titles."""

    def label(match) -> str:
        name = match.group(1)
        return f"[{FIELD_LABELS.get(FIELDS.get(name.lower(), ''), name)}]"

    return FIELD.sub(label, text)
