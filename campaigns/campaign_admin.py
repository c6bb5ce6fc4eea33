"""The admin for campaigns (newsletters and invitations): the form, and the pages around a send: the checklist, the
send or schedule (or a test to the coordinator), live progress, pause, resume, cancel and back to draft, the preview
as a recipient, the Markdown preview while writing, and a copy as a new draft."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import ModelForm
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse, reverse_lazy
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from network.models import Ambassador

from .campaign_preview_page import chosen_id, preview_page
from .campaign_sending import send_page, send_time_text
from .emails import campaign_preview
from .merge import markdown_html, merge_fields_unknown
from .models import Campaign
from .selectors import (
    campaign_failed_rows,
    campaign_progress,
    campaign_recipient_count,
    campaign_report,
    campaign_status_text,
    campaigns_with_row_counts,
)
from .services.newsletters import (
    campaign_cancel,
    campaign_duplicate,
    campaign_may_delete,
    campaign_may_unschedule,
    campaign_pause,
    campaign_resume,
    campaign_unschedule,
)
from .writing import MarkdownTextarea, preview_path


class CampaignForm(ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "kind", "event", "subject", "preheader", "body", "segment"]
        widgets = {"body": MarkdownTextarea(reverse_lazy("admin:campaigns_campaign_markdown"))}

    def clean(self):
        cleaned = super().clean()
        unknown = merge_fields_unknown(f"{cleaned.get('subject', '')} {cleaned.get('body', '')}")
        if unknown:
            raise ValidationError(
                _("Unknown merge field: %(fields)s. Use first_name, last_name, full_name or locality.")
                % {"fields": ", ".join(unknown)}
            )
        return cleaned


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
            return ["name", "kind", "event", "subject", "preheader", "body", "segment"]
        return []

    def has_change_permission(self, request, obj=None):
        """Only a draft is edited: once scheduled, sending or sent its page shows it (no Save) and the buttons of
        its state (which need the model permission, see `may_control`)."""
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.status == Campaign.Status.DRAFT)

    def has_delete_permission(self, request, obj=None):
        """A campaign that has been (or is being) sent is a record of what people got: it is never deleted."""
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or campaign_may_delete(obj))

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _func, name, description = actions["delete_selected"]
            actions["delete_selected"] = (delete_unsent, name, description)
        return actions

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, deletable(queryset))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/progress/", view(self.progress_view), name="campaigns_campaign_progress"),
            # The email alone, framed by the preview page (same origin only) and sandboxed by its own policy.
            path(
                "<int:pk>/preview/",
                view(xframe_options_sameorigin(self.preview_view)),
                name="campaigns_campaign_preview",
            ),
            path("<int:pk>/preview-as/", view(self.preview_page_view), name="campaigns_campaign_preview_as"),
            path("<int:pk>/send/", view(self.send_view), name="campaigns_campaign_send"),
            path("<int:pk>/control/", view(self.control_view), name="campaigns_campaign_control"),
            path("<int:pk>/duplicate/", view(self.duplicate_view), name="campaigns_campaign_duplicate"),
            preview_path(self, "campaigns_campaign_markdown"),  # live preview while writing
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
                # The body as the email shows it, once it is no longer edited (a draft's field has its own).
                "body_preview": mark_safe(markdown_html(campaign.body)),  # noqa: S308 - sanitised by markdown_html
                "may_duplicate": self.has_add_permission(request),
                "may_control": self.has_change_permission(request),
                "may_unschedule": campaign_may_unschedule(campaign),
                "scheduled_text": _scheduled_text(campaign),
                "failed": campaign_failed_rows(campaign) if may_see_deliveries else [],
                "tracking": settings.EMAIL_TRACKING,
                "recipients": campaign_recipient_count(campaign) if may_see_people else None,
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
        """The message as a chosen recipient would see it (HTML part); its unsubscribe link unsubscribes nobody.
        Framed by the preview page; without a chosen recipient it is the viewer's own copy."""
        campaign = self._campaign(request, pk)
        ambassador = None
        if request.GET.get("ambassador"):
            if not request.user.has_perm("network.view_ambassador"):
                raise PermissionDenied
            asked = chosen_id(request)
            ambassador = Ambassador.objects.filter(pk=asked).first() if asked is not None else None
        html = campaign_preview(campaign=campaign, ambassador=ambassador, viewer_name=request.user.get_full_name())
        response = HttpResponse(html)
        response["Content-Security-Policy"] = "sandbox; frame-ancestors 'self'"
        return response

    def preview_page_view(self, request, pk: int):
        return preview_page(self, request, self._campaign(request, pk))

    def send_view(self, request, pk: int):
        return send_page(self, request, self._campaign(request, pk, "change"))

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


def _scheduled_text(campaign: Campaign) -> str:
    """When a scheduled campaign goes out, for its page."""
    if campaign.status != Campaign.Status.SCHEDULED or campaign.scheduled_at is None:
        return ""
    if campaign.scheduled_at <= timezone.now():
        return gettext("Going out now: the first emails leave within a minute or two.")
    return gettext("Goes out on %(when)s.") % {"when": send_time_text(campaign.scheduled_at)}


def deletable(queryset):
    """The campaigns of `queryset` that may be deleted (campaign_may_delete): never one that has been sent."""
    return queryset.filter(pk__in=[campaign.pk for campaign in queryset if campaign_may_delete(campaign)])


def delete_unsent(model_admin, request, queryset):
    """Django's "delete selected", for the campaigns that were never sent; the others are kept, and it says so."""
    allowed = deletable(queryset)
    kept = queryset.count() - allowed.count()
    if kept:
        model_admin.message_user(
            request,
            ngettext(
                "%(count)d campaign has been sent (or is being sent) and is kept.",
                "%(count)d campaigns have been sent (or are being sent) and are kept.",
                kept,
            )
            % {"count": kept},
            messages.WARNING,
        )
    if not allowed.exists():
        return None
    return delete_selected(model_admin, request, allowed)
