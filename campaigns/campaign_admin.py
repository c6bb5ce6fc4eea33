"""The admin for campaigns (newsletters and invitations): the form, and the pages around a send: the checklist, the
send or schedule (or a test to the coordinator), live progress, pause, resume, cancel and back to draft, the preview
as a recipient, the Markdown preview while writing, and a copy as a new draft."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import CharField, DateTimeField, Form, ModelForm
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from network.models import Ambassador
from network.normalize import normalize_email

from .emails import campaign_preview
from .merge import markdown_html, merge_fields_unknown
from .models import Campaign
from .selectors import (
    campaign_failed_rows,
    campaign_progress,
    campaign_report,
    campaign_sample_recipients,
    campaign_status_text,
    campaigns_with_row_counts,
)
from .services.newsletters import (
    CampaignError,
    campaign_cancel,
    campaign_checklist,
    campaign_duplicate,
    campaign_may_unschedule,
    campaign_pause,
    campaign_resume,
    campaign_schedule,
    campaign_send_test,
    campaign_unschedule,
)


class CampaignForm(ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "kind", "event", "subject", "preheader", "body", "sender_name", "segment"]

    def clean(self):
        cleaned = super().clean()
        unknown = merge_fields_unknown(f"{cleaned.get('subject', '')} {cleaned.get('body', '')}")
        if unknown:
            raise ValidationError(
                _("Unknown merge field: %(fields)s. Use first_name, last_name, full_name or locality.")
                % {"fields": ", ".join(unknown)}
            )
        return cleaned


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


class ScheduleForm(Form):
    send_at = DateTimeField(
        label=_("Send at (Swedish time)"),
        required=False,
        help_text=_("Empty: send now. Format: 2026-12-01 08:00"),
    )


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = ["name", "kind", "status_text", "scheduled_at", "segment"]
    list_filter = ["status", "kind"]
    search_fields = ["name", "subject"]
    change_form_template = "admin/campaigns/campaign/change_form.html"

    def get_queryset(self, request):
        return campaigns_with_row_counts(super().get_queryset(request))

    @admin.display(description=_("status"), ordering="status")
    def status_text(self, campaign: Campaign) -> str:
        return campaign_status_text(campaign, sent=campaign.rows_sent, failed=campaign.rows_failed)

    def get_readonly_fields(self, request, obj=None):
        if obj and obj.status != Campaign.Status.DRAFT:
            return ["name", "kind", "event", "subject", "preheader", "body", "sender_name", "segment"]
        return []

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/progress/", view(self.progress_view), name="campaigns_campaign_progress"),
            path("<int:pk>/preview/", view(self.preview_view), name="campaigns_campaign_preview"),
            path("<int:pk>/send/", view(self.send_view), name="campaigns_campaign_send"),
            path("<int:pk>/control/", view(self.control_view), name="campaigns_campaign_control"),
            path("<int:pk>/duplicate/", view(self.duplicate_view), name="campaigns_campaign_duplicate"),
            path("markdown/", view(self.markdown_view), name="campaigns_campaign_markdown"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        campaign = self.get_object(request, object_id)
        extra = {}
        if campaign is not None:
            # Names and addresses only for staff who may see the ambassadors and the deliveries themselves.
            may_see_people = request.user.has_perm("network.view_ambassador")
            may_see_deliveries = request.user.has_perm("campaigns.view_delivery")
            progress = campaign_progress(campaign)
            extra = {
                "campaign": campaign,
                "progress": progress,
                "status_text": campaign_status_text(campaign, sent=progress.sent, failed=progress.failed),
                "report": campaign_report(campaign) if campaign.status != Campaign.Status.DRAFT else None,
                # The body as the email shows it, in every state (the live preview needs the editable field).
                "body_preview": mark_safe(markdown_html(campaign.body)),  # noqa: S308 - sanitised by markdown_html
                "may_duplicate": self.has_add_permission(request),
                "may_unschedule": campaign_may_unschedule(campaign),
                "failed": campaign_failed_rows(campaign) if may_see_deliveries else [],
                "tracking": settings.EMAIL_TRACKING,
                "recipients": campaign_sample_recipients(campaign) if may_see_people else None,
            }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def _campaign(self, request, pk: int, permission: str = "view") -> Campaign:
        """The campaign, for staff with the model permission the page needs ("view" or "change")."""
        allowed = self.has_view_permission if permission == "view" else self.has_change_permission
        if not allowed(request):
            raise PermissionDenied
        campaign = self.get_object(request, str(pk))
        if campaign is None:
            raise Http404
        return campaign

    def progress_view(self, request, pk: int):
        campaign = self._campaign(request, pk)
        progress = campaign_progress(campaign)
        status = campaign_status_text(campaign, sent=progress.sent, failed=progress.failed)
        return JsonResponse({**vars(progress), "status": status, "percent": progress.percent})

    def preview_view(self, request, pk: int):
        """The message as a chosen recipient would see it (HTML part); its unsubscribe link unsubscribes nobody."""
        campaign = self._campaign(request, pk)
        ambassador = None
        if request.GET.get("ambassador"):
            if not request.user.has_perm("network.view_ambassador"):
                raise PermissionDenied
            ambassador = Ambassador.objects.filter(pk=request.GET["ambassador"]).first()
        html = campaign_preview(campaign=campaign, ambassador=ambassador, viewer_name=request.user.get_full_name())
        response = HttpResponse(html)
        response["Content-Security-Policy"] = "sandbox"
        return response

    def markdown_view(self, request):
        """Live preview while writing: the body's Markdown as the email will show it."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return HttpResponse(markdown_html(request.POST.get("body", "")))

    TEST_RECIPIENTS = "campaigns.test_recipients"  # the session remembers where the last test went

    def send_view(self, request, pk: int):
        campaign = self._campaign(request, pk, "change")
        form = ScheduleForm(None if "test" in request.POST else request.POST or None)
        last = request.session.get(self.TEST_RECIPIENTS) or request.user.email
        test_form = TestRecipientsForm(request.POST if "test" in request.POST else None, initial={"recipients": last})
        checklist = campaign_checklist(campaign)
        if request.method == "POST" and "test" in request.POST:
            if test_form.is_valid():
                addresses = test_form.cleaned_data["recipients"]
                for address in addresses:
                    campaign_send_test(campaign=campaign, to_email=address, to_name=request.user.get_full_name())
                request.session[self.TEST_RECIPIENTS] = ", ".join(addresses)
                self.message_user(request, _("A test was sent to %s.") % ", ".join(addresses))
                return HttpResponseRedirect(request.path)
        elif request.method == "POST" and form.is_valid():
            try:
                campaign_schedule(campaign=campaign, at=form.cleaned_data["send_at"])
            except CampaignError:
                self.message_user(request, _("The campaign cannot be sent: see the checklist."), messages.ERROR)
            else:
                self.message_user(request, _("The campaign is scheduled."))
                return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
        return TemplateResponse(
            request,
            "admin/campaigns/campaign/send.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Send %s") % campaign,
                "campaign": campaign,
                "checklist": checklist,
                "ready": all(ok for _label, ok in checklist),
                "form": form,
                "test_form": test_form,
            },
        )

    def control_view(self, request, pk: int):
        campaign = self._campaign(request, pk, "change")
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        name = request.POST.get("action", "")
        if name == "cancel" and request.POST.get("confirm") != "yes":
            return self._confirm_cancel(request, campaign)
        action = {
            "pause": campaign_pause,
            "resume": campaign_resume,
            "cancel": campaign_cancel,
            "unschedule": campaign_unschedule,
        }.get(name)
        if action is None or not action(campaign=campaign):
            self.message_user(request, _("Nothing changed."), messages.WARNING)
        elif name == "unschedule":
            self.message_user(request, _("The campaign is a draft again: edit it and send or schedule it anew."))
        elif name == "cancel":
            self.message_user(request, _("The send is cancelled. Nothing more will be sent."))
        return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))

    def _confirm_cancel(self, request, campaign: Campaign):
        """Cancelling cannot be undone: a page says what it stops, and a second button does it."""
        return TemplateResponse(
            request,
            "admin/campaigns/campaign/cancel.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Cancel the send of %s?") % campaign,
                "campaign": campaign,
                "progress": campaign_progress(campaign),
            },
        )

    def duplicate_view(self, request, pk: int):
        """A new draft with the same content and audience (any campaign, in any state)."""
        campaign = self._campaign(request, pk)
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        copy = campaign_duplicate(campaign=campaign)
        self.log_addition(request, copy, [{"added": {}}])
        self.message_user(request, _("A copy was made as a new draft: %s.") % copy)
        return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[copy.pk]))
