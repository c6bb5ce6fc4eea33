"""The event page's tools (issue 19): invite (a draft invitation campaign in one step), who has answered and who
has not, remind those who have not, copy the event, and the participant list to print for the door. EventAdmin
takes them in as a mixin; the work itself is done in campaigns.services.invitation_draft and
network.event_answers."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from campaigns.selectors import segments_for_choice
from campaigns.services import invitation_draft

from .event_answers import event_answers, invitation_reminders_send
from .events import answers_open, event_when, event_where
from .models import Event, Registration
from .normalize import display_phone
from .selectors import event_attendees

EVERYONE = "all"
# What a copy keeps of its event; the times and the answer deadline are left for the coordinator to fill in.
COPIED_FIELDS = ("title", "kind", "description", "place", "address", "capacity", "is_training", "follow_up_text")


class InviteForm(forms.Form):
    audience = forms.ChoiceField(label=_("Who is invited?"), widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.segments = {str(segment.pk): segment for segment in segments_for_choice()}
        self.fields["audience"].choices = [
            (EVERYONE, _("All active ambassadors")),
            *((key, segment.name) for key, segment in self.segments.items()),
        ]
        self.fields["audience"].initial = EVERYONE

    def clean_audience(self):
        """The saved audience chosen, or None for every active ambassador."""
        return self.segments.get(self.cleaned_data["audience"])


class EventToolsMixin:
    """Views and the answers panel for EventAdmin (a ModelAdmin)."""

    def tools_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/invite/", view(self.invite_view), name="network_event_invite"),
            path("<int:pk>/remind/", view(self.remind_view), name="network_event_remind"),
            path("<int:pk>/participants/", view(self.participants_view), name="network_event_participants"),
        ]

    def _event(self, request, pk: int, allowed) -> Event:
        event = get_object_or_404(Event, pk=pk)
        if not allowed(request, event):
            raise PermissionDenied
        return event

    def _context(self, request, event: Event, title: str, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "event": event,
            "when": event_when(event),
            "where": event_where(event),
            **extra,
        }

    def _may_invite(self, request, event: Event) -> bool:
        return self.has_change_permission(request, event) and request.user.has_perm("campaigns.add_campaign")

    def invite_view(self, request, pk: int):
        """GET: choose who is invited; POST: a draft invitation campaign, and on to its page to read and send."""
        event = self._event(request, pk, self._may_invite)
        form = InviteForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            campaign = invitation_draft(event=event, segment=form.cleaned_data["audience"])
            self.message_user(
                request,
                _("A draft invitation is ready. Read it through, send yourself a test, then send it."),
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
        title = _("Invite to %(event)s") % {"event": event.title}
        return TemplateResponse(
            request, "admin/network/event/invite.html", self._context(request, event, title, form=form)
        )

    def remind_view(self, request, pk: int):
        """GET: who would be reminded, and a button; POST: the reminders (once per person and day)."""
        event = self._event(request, pk, self.has_change_permission)
        change_url = reverse("admin:network_event_change", args=[event.pk])
        if not answers_open(event):
            self.message_user(request, _("The time to answer has passed: no reminders can be sent."), messages.ERROR)
            return HttpResponseRedirect(change_url)
        if request.method == "POST":
            count = invitation_reminders_send(event=event)
            self.message_user(
                request,
                ngettext(
                    "%(count)d person who has not answered was reminded.",
                    "%(count)d people who have not answered were reminded.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url)
        title = _("Remind those who have not answered: %(event)s") % {"event": event.title}
        context = self._context(request, event, title, not_answered=event_answers(event).not_answered)
        return TemplateResponse(request, "admin/network/event/remind.html", context)

    def _may_list(self, request, event: Event) -> bool:
        return self.has_view_permission(request, event) and request.user.has_perm("network.view_ambassador")

    def participants_view(self, request, pk: int):
        """The participant list to print for the door: those who said yes, with a column to sign; the waiting
        list apart, below."""
        event = self._event(request, pk, self._may_list)
        people = {Registration.Answer.YES: [], Registration.Answer.WAITLIST: []}
        for registration in event_attendees(event):  # by name; who came without a yes is not on it beforehand
            if registration.answer in people:
                ambassador = registration.ambassador
                people[registration.answer].append(
                    {
                        "name": ambassador.full_name,
                        "locality": ambassador.locality,
                        "phone": display_phone(ambassador.phone),
                    }
                )
        title = _("Participants: %(event)s") % {"event": event.title}
        context = self._context(
            request,
            event,
            title,
            coming=people[Registration.Answer.YES],
            waiting=people[Registration.Answer.WAITLIST],
            printed=timezone.localtime(),
        )
        return TemplateResponse(request, "admin/network/event/participants.html", context)

    def get_changeform_initial_data(self, request):
        """The add form prefilled from another event (?copy_from=<id>, the "Copy" link): its dates left empty."""
        initial = super().get_changeform_initial_data(request)
        source = request.GET.get("copy_from", "")
        event = Event.objects.filter(pk=int(source)).first() if source.isdigit() and len(source) < 19 else None
        if event is not None and self.has_view_permission(request, event):
            initial.update({name: getattr(event, name) for name in COPIED_FIELDS})
        return initial

    def invitation_answers(self, event: Event) -> str:
        """The answers panel: counts and names, and the links to act on them."""
        if event.pk is None:
            return "–"
        return render_to_string(
            "admin/network/event/answers_panel.html",
            {"answers": event_answers(event), "event": event, "open": answers_open(event)},
        )

    invitation_answers.short_description = _("Invited and answers")
