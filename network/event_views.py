"""The public RSVP page of an invitation: /svar/<token>/. GET shows the event and the answer; the POST records it."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from . import events
from .models import Registration


@require_http_methods(["GET", "POST"])
def rsvp(request, token: str):
    """GET never changes anything (link scanners open links); a POST of yes or no records the answer, until the
    deadline. A tampered link, or one signed for something else, gets a 400 page and changes nothing."""
    found = events.rsvp_read(token)
    if found is None:
        return render(request, "network/rsvp.html", {"state": "invalid"}, status=400)
    event, ambassador = found
    outcome = None
    if request.method == "POST":
        answer = request.POST.get("answer", "")
        if answer not in (Registration.Answer.YES, Registration.Answer.NO):
            return render(request, "network/rsvp.html", {"state": "invalid"}, status=400)
        outcome = events.registration_answer(event_id=event.pk, ambassador_id=ambassador.pk, answer=answer).value
    registration = Registration.objects.filter(event=event, ambassador=ambassador).first()
    context = {
        "state": "open" if events.answers_open(event) else "closed",
        "event": event,
        "when": events.event_when(event),
        "where": events.event_where(event),
        "first_name": ambassador.first_name,
        "answer": registration.answer if registration else "",
        "outcome": outcome,
    }
    return render(request, "network/rsvp.html", context)


def rsvp_test(request):
    """Where the RSVP link of a test copy or a preview goes: it answers for nobody."""
    return render(request, "network/rsvp.html", {"state": "test"})
