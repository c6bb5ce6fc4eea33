"""An event's invitation as a draft campaign, from the event's page in one step: the audience chosen (a saved one,
or every active ambassador), the subject and body written in Swedish. The event's time, place and answer button
are not in the body: the campaign email shows them by itself (campaigns.emails, the event block)."""

from __future__ import annotations

from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from network.models import Event

from ..models import Campaign, Segment
from ..selectors import ALL_ACTIVE_NAME, segment_is_everyone

LENGTH = 200  # a campaign's name and subject at most (an event's title may be as long)


def segment_everyone() -> Segment:
    """The audience "every active ambassador": the one of that name, while nobody has narrowed it; else a new one."""
    for segment in Segment.objects.filter(name=ALL_ACTIVE_NAME).order_by("pk"):
        if segment_is_everyone(segment):
            return segment
    return Segment.objects.create(name=ALL_ACTIVE_NAME)


def _body(event: Event) -> str:
    lines = [gettext("Hi {{ first_name }}!"), "", gettext("Welcome to %(title)s.") % {"title": event.title}]
    if event.description.strip():
        lines += ["", event.description.strip()]
    deadline = timezone.localtime(event.answers_until)
    lines += [
        "",
        gettext("Please answer by %(date)s with the button below, so that we know how many we will be.")
        % {"date": formats.date_format(deadline, "j F")},
    ]
    return "\n".join(lines)


@transaction.atomic
def invitation_draft(*, event: Event, segment: Segment | None = None) -> Campaign:
    """A draft invitation campaign for `event` to `segment` (None: every active ambassador), written in Swedish,
    for the coordinator to read through and send from the campaign's page."""
    with translation.override("sv"):
        day = formats.date_format(timezone.localtime(event.starts_at), "j b Y")
        return Campaign.objects.create(
            name=(gettext("Invitation: %(title)s (%(date)s)") % {"title": event.title, "date": day})[:LENGTH],
            kind=Campaign.Kind.INVITATION,
            event=event,
            segment=segment or segment_everyone(),
            subject=(gettext("Invitation: %(title)s, %(date)s") % {"title": event.title, "date": day})[:LENGTH],
            preheader=gettext("Answer with one click: are you coming?"),
            body=_body(event),
        )
