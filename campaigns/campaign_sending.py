"""The campaign's send page in the admin: the checklist, a test to typed addresses, and sending in two steps. The
coordinator presses "Send now" or "Schedule" (two buttons, so an empty date never means "now" by accident), a page
asks "Send to 54 people now?" naming the subject and the time, and only its second button schedules. A second
confirmation (a double click, a refresh) finds the campaign no longer a draft and sends nothing again."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import CharField, ChoiceField, DateTimeField, DateTimeInput, Form, HiddenInput
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from network.normalize import normalize_email

from .labels import readable_subject
from .models import Campaign
from .selectors import campaign_recipient_count
from .services.newsletters import CampaignError, campaign_checklist, campaign_schedule, campaign_send_test

NOW, SCHEDULE = "now", "schedule"


def send_time_text(at: datetime) -> str:
    """A send time as the coordinator writes it, in Swedish time: "12 dec 2026 kl. 09.00"."""
    local = timezone.localtime(at)
    return gettext("%(date)s at %(hour)s:%(minute)s") % {
        "date": formats.date_format(local, "j b Y"),
        "hour": f"{local.hour:02d}",
        "minute": f"{local.minute:02d}",
    }


class TestRecipientsForm(Form):
    """Where "Send a test to me" sends: typed by the coordinator, so a login without an address can test too."""

    MAX = 10

    recipients = CharField(
        label=_("Send a test to"),
        max_length=2000,
        help_text=_("One or more email addresses, separated by commas."),
    )

    def clean_recipients(self) -> list[str]:
        addresses = []
        for part in self.cleaned_data["recipients"].replace(";", ",").split(","):
            if not part.strip():
                continue
            try:
                address = normalize_email(part)
            except ValueError as error:
                raise ValidationError(str(error)) from None
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise ValidationError(_("Give at least one email address."))
        if len(addresses) > self.MAX:
            raise ValidationError(_("At most %(max)d addresses at a time.") % {"max": self.MAX})
        return addresses


class SendForm(Form):
    """Which button was pressed ("now" or "schedule") and, to schedule, when (Swedish time, in the future)."""

    mode = ChoiceField(
        choices=[(NOW, _("Send now")), (SCHEDULE, _("Schedule"))],
        widget=HiddenInput,
        error_messages={"required": _("Choose “Send now” or “Schedule”.")},
    )
    send_at = DateTimeField(
        label=_("Send at (Swedish time)"),
        required=False,
        widget=DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Only for “Schedule”: the day and time the campaign goes out."),
    )

    def __init__(self, *args, now: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now

    def clean(self):
        cleaned = super().clean()
        mode, at = cleaned.get("mode"), cleaned.get("send_at")
        if mode == SCHEDULE and at is None and "send_at" not in self.errors:
            self.add_error("send_at", _("Give the day and time to send, or press “Send now”."))
        elif mode == SCHEDULE and at is not None and at <= self.now:
            self.add_error("send_at", _("That time has passed: give a time in the future, or press “Send now”."))
        elif mode == NOW and at is not None:
            self.add_error(
                "send_at", _("You gave a time: press “Schedule” to send then, or empty the field to send now.")
            )
        return cleaned


TEST_RECIPIENTS = "campaigns.test_recipients"  # the session remembers where the last test went


def send_page(model_admin, request, campaign: Campaign):
    """The send page (GET), a test (POST "test"), the confirmation (POST "mode") and the send (POST "confirm")."""
    change_url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    if campaign.status != Campaign.Status.DRAFT:
        if request.method == "POST":  # a second click, a refresh, or a send from a tab left open
            model_admin.message_user(request, _not_a_draft(campaign), messages.WARNING)
        else:
            status = {"status": campaign.get_status_display()}
            model_admin.message_user(request, gettext("The campaign is already “%(status)s”.") % status)
        return HttpResponseRedirect(change_url)
    is_test = request.method == "POST" and "test" in request.POST
    form = SendForm(_send_data(request) if request.method == "POST" and not is_test else None, now=timezone.now())
    last = request.session.get(TEST_RECIPIENTS) or request.user.email
    test_form = TestRecipientsForm(request.POST if is_test else None, initial={"recipients": last})
    if is_test and test_form.is_valid():
        addresses = test_form.cleaned_data["recipients"]
        for address in addresses:
            campaign_send_test(campaign=campaign, to_email=address, to_name=request.user.get_full_name())
        request.session[TEST_RECIPIENTS] = ", ".join(addresses)
        model_admin.message_user(request, _("A test was sent to %s.") % ", ".join(addresses))
        return HttpResponseRedirect(request.path)
    checklist = campaign_checklist(campaign)
    ready = all(ok for _label, ok in checklist)
    if ready and form.is_bound and form.is_valid():
        if request.POST.get("confirm") != "yes":
            return _confirm_page(model_admin, request, campaign, form)
        return _send(model_admin, request, campaign, form.cleaned_data["send_at"], change_url)
    return TemplateResponse(
        request,
        "admin/campaigns/campaign/send.html",
        {
            **_page_context(model_admin, request, campaign, gettext("Send %s") % campaign),
            "checklist": checklist,
            "ready": ready,
            "form": form,
            "test_form": test_form,
        },
    )


def _send_data(request):
    """The posted form, with "mode" from the button pressed ("now" or "schedule"; the confirmation posts "mode")."""
    data = request.POST.copy()
    for mode in (NOW, SCHEDULE):
        if mode in data:
            data["mode"] = mode
    return data


def _page_context(model_admin, request, campaign: Campaign, title: str) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "campaign": campaign,
        "has_view_permission": model_admin.has_view_permission(request),
    }


def _confirm_page(model_admin, request, campaign: Campaign, form: SendForm):
    """ "Send to 54 people now?": the number, the subject and the time, and a button that does it."""
    count = campaign_recipient_count(campaign)
    at = form.cleaned_data["send_at"]
    if at is None:
        question = ngettext("Send to %(count)d person now?", "Send to %(count)d people now?", count)
    else:
        question = ngettext(
            "Schedule for %(count)d person on %(when)s?", "Schedule for %(count)d people on %(when)s?", count
        )
    return TemplateResponse(
        request,
        "admin/campaigns/campaign/confirm_send.html",
        {
            **_page_context(
                model_admin, request, campaign, question % {"count": count, "when": at and send_time_text(at)}
            ),
            "count": count,
            "subject": readable_subject(campaign.subject),
            "mode": form.cleaned_data["mode"],
            "send_at": timezone.localtime(at).strftime("%Y-%m-%dT%H:%M") if at else "",
        },
    )


def _send(model_admin, request, campaign: Campaign, at: datetime | None, change_url: str):
    count = campaign_recipient_count(campaign)
    try:
        campaign_schedule(campaign=campaign, at=at)
    except CampaignError:
        campaign.refresh_from_db()
        if campaign.status != Campaign.Status.DRAFT:  # a second click or a refresh: it went with the first
            model_admin.message_user(request, _not_a_draft(campaign), messages.WARNING)
            return HttpResponseRedirect(change_url)
        model_admin.message_user(request, gettext("The campaign cannot be sent: see the checklist."), messages.ERROR)
        return HttpResponseRedirect(request.path)
    if at is None:
        text = ngettext(
            "The campaign is being sent now, to %(count)d person.",
            "The campaign is being sent now, to %(count)d people.",
            count,
        ) % {"count": count}
    else:
        text = gettext("The campaign is scheduled: it goes out on %(when)s.") % {"when": send_time_text(at)}
    model_admin.message_user(request, text)
    return HttpResponseRedirect(change_url)


def _not_a_draft(campaign: Campaign) -> str:
    return gettext("Nothing was sent again: the campaign is already “%(status)s”.") % {
        "status": campaign.get_status_display()
    }
