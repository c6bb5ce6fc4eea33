"""The admin for applications: the list opening on those waiting for review, approving and declining (one on its
page, or those selected, with a personal line in the email), erasing an applicant."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from . import selectors, services
from .erase_admin import ErasingDelete
from .forms import CLEAN_INPUT_OVERRIDES, TextField
from .models import Application
from .person_admin import ListsFitTheScreen, PersonAdminMixin, breakable
from .privacy import applications_erase
from .search import FoldedSearchMixin

# What a review did, counted ("1 ansökan godkändes", "3 ansökningar godkändes").
APPROVED = ngettext_lazy("%(count)d application approved.", "%(count)d applications approved.", "count")
DECLINED = ngettext_lazy("%(count)d application declined.", "%(count)d applications declined.", "count")


def _short_datetime(moment) -> str:
    """2026-11-27 05:33: a list column as narrow as a time can be (the long format takes twice the width)."""
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") if moment else "–"


class ReviewForm(forms.Form):
    personal_line = TextField(
        label=_("A personal line in the email (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ApplicationStatusFilter(admin.SimpleListFilter):
    """The list opens on the applications waiting for review; every status, and all of them, one click away.

    A search looks through all of them unless a status is chosen, and so does an action on the applications
    selected. The parameter is the one Django's own status filter used, so links such as the digest's
    (?status__exact=confirmed) keep working."""

    title = _("status")
    parameter_name = "status__exact"
    ALL = "all"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        searching = request.GET.get("q") or request.method == "POST"
        self.default = self.ALL if searching else Application.Status.CONFIRMED

    def lookups(self, request, model_admin):
        return [*Application.Status.choices, (self.ALL, _("All"))]

    def chosen(self) -> str:
        return self.value() or self.default

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.chosen() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        chosen = self.chosen()
        return queryset if chosen == self.ALL else queryset.filter(status=chosen)


@admin.register(Application)
class ApplicationAdmin(ErasingDelete, PersonAdminMixin, FoldedSearchMixin, ListsFitTheScreen, admin.ModelAdmin):
    formfield_overrides = CLEAN_INPUT_OVERRIDES
    list_display = ["full_name", "email_display", "phone_display", "locality", "status", "submitted", "confirmed"]
    list_display_links = ["full_name"]
    list_filter = [ApplicationStatusFilter, "locality", "interests", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["locality"]
    search_fields = ["first_name", "last_name", "email"]
    folded_search_fields = ["first_name", "last_name"]
    plain_search_fields = ["email"]
    search_help_text = _("Any part of a name or email address; all applications, whatever their status.")
    readonly_fields = [
        "status",
        "ambassador",
        "created_at",
        "confirmation_sent_at",
        "confirmed_at",
        "decided_at",
        "decided_by",
        "language_name",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "first_name",
                    "last_name",
                    "email",
                    "phone",
                    "locality",
                    "interests",
                    "motivation",
                    "heard_about",
                    "language_name",
                ]
            },
        ),
        (
            _("Review"),
            {
                "fields": [
                    "status",
                    "created_at",
                    "confirmation_sent_at",
                    "confirmed_at",
                    "decided_at",
                    "decided_by",
                    "ambassador",
                ]
            },
        ),
    ]
    change_form_template = "admin/network/application/change_form.html"
    actions = ["approve", "decline", "erase_people"]
    erase_text = _(
        "These applications are deleted, with the recruitment contacts they came from. The emails sent to them keep "
        "no address or name. The proof of consent is kept without the address. An application that belongs to an "
        "ambassador is removed with the ambassador (on their page), not here. This cannot be undone."
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        """An applicant is removed here; an ambassador's application with the ambassador."""
        return super().has_delete_permission(request, obj) and (obj is None or obj.ambassador_id is None)

    def erase(self, request, objects) -> int:
        return applications_erase([application.pk for application in objects])

    def erase_done(self, count: int) -> str:
        return ngettext("%(count)d application was erased.", "%(count)d applications were erased.", count) % {
            "count": count
        }

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, obj: Application) -> str:
        return f"{obj.first_name} {obj.last_name}".strip()

    @admin.display(description=_("email"), ordering="email")
    def email_display(self, obj: Application) -> str:
        return breakable(obj.email)

    @admin.display(description=_("submitted"), ordering="created_at")
    def submitted(self, obj: Application) -> str:
        return _short_datetime(obj.created_at)

    @admin.display(description=_("confirmed"), ordering="confirmed_at")
    def confirmed(self, obj: Application) -> str:
        return _short_datetime(obj.confirmed_at)

    def get_urls(self):
        view = self.admin_site.admin_view(self.decide_view)
        return [path("<path:object_id>/decide/", view, name="network_application_decide"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        application = self.get_object(request, unquote(object_id))
        extra = {}
        if application is not None:
            extra = {
                # Recommended before (by an ambassador on /tipsa/, or noted by the coordinator): say so, with a link.
                "recommendations": list(
                    selectors.recommendations_of(email=application.email, phone=application.phone)[:10]
                ),
                "may_see_recommendations": request.user.has_perm("network.view_recruitmentcontact"),
                "may_approve": services.application_may_approve(application),
                "may_decline": services.application_may_decline(application),
                "may_decide": self.has_change_permission(request, application),
                "review_form": ReviewForm(),
            }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def decide_view(self, request, object_id):
        """The change page's Approve and Decline buttons: one application, as the list's actions do it."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        application = self.get_object(request, unquote(object_id))
        if application is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_page = reverse("admin:network_application_change", args=[application.pk])
        service = {"approve": services.application_approve, "decline": services.application_decline}.get(
            request.POST.get("decision", "")
        )
        form = ReviewForm(request.POST)
        if service is None or not form.is_valid():
            self.message_user(request, _("Nothing changed."), messages.WARNING)
            return HttpResponseRedirect(change_page)
        try:
            service(application=application, decided_by=request.user, personal_line=form.cleaned_data["personal_line"])
        except services.ReviewError as error:
            self.message_user(
                request,
                _(
                    "Not changed: the application is %(status)s (it can only be decided once, and approved once "
                    "confirmed)."
                )
                % {"status": str(error).lower()},
                messages.WARNING,
            )
            return HttpResponseRedirect(change_page)
        application.refresh_from_db()
        self.message_user(
            request,
            _("%(application)s: %(status)s.")
            % {"application": application, "status": application.get_status_display()},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:network_application_changelist"))

    def _review(self, request, queryset, *, done_text, service, title):
        if "apply" in request.POST:
            form = ReviewForm(request.POST)
            if form.is_valid():
                done, refused = 0, []
                for application in queryset:
                    try:
                        service(
                            application=application,
                            decided_by=request.user,
                            personal_line=form.cleaned_data["personal_line"],
                        )
                        done += 1
                    except services.ReviewError as error:
                        refused.append(f"{application} ({error})")
                if done:
                    self.message_user(request, done_text % {"count": done})
                if refused:
                    self.message_user(
                        request,
                        _(
                            "Not changed (an application can only be decided once, and approved once confirmed): %(list)s"
                        )
                        % {"list": "; ".join(refused)},
                        messages.WARNING,
                    )
                return None
        return TemplateResponse(
            request,
            "admin/network/application/review.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "queryset": queryset,
                "form": ReviewForm(),
                "action": request.POST.get("action"),
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description=_("Approve selected applications"), permissions=["change"])
    def approve(self, request, queryset):
        return self._review(
            request, queryset, done_text=APPROVED, service=services.application_approve, title=_("Approve applications")
        )

    @admin.action(description=_("Decline selected applications"), permissions=["change"])
    def decline(self, request, queryset):
        return self._review(
            request, queryset, done_text=DECLINED, service=services.application_decline, title=_("Decline applications")
        )
