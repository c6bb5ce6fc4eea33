"""The admin for ambassadors: the list (filters, search, bulk status, the introduction series), their page (mail
status, events, recruits, timeline and notes), the audit log of who viewed, changed or exported whom, erasing, and
the import of the member list."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ExportMixin

from campaigns.selectors import mail_status
from crm.audit import Action as AuditAction
from crm.audit import audit_record
from crm.privacy import person_erase

from . import selectors, services
from .admin_paging import EstimatingChangeList, EstimatingPaginator
from .erase_admin import ErasingDelete
from .event_admin import CompletedTrainingFilter, ambassador_events
from .forms import CLEAN_INPUT_OVERRIDES
from .importing import COLUMNS, ImportFileError, check_file_size, upload_discard, upload_read, upload_store
from .models import Ambassador
from .normalize import normalize_phone
from .person_admin import ListsFitTheScreen, PersonAdminMixin, breakable
from .recruitment_admin import NotesMixin, recruited_html, timeline_html
from .resources import EXPORT_FORMATS, AmbassadorResource, ExportForm
from .search import FoldedSearchMixin
from .timeline import person_timeline


def _date(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT")


class HasEmailFilter(admin.SimpleListFilter):
    title = _("has email")
    parameter_name = "has_email"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(email__isnull=False)
        if self.value() == "no":
            return queryset.filter(email__isnull=True)
        return queryset


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("CSV (comma or semicolon separated, UTF-8 or Windows-1252) or Excel (.xlsx).")
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_file_size(upload.size)
        except ImportFileError as error:
            raise forms.ValidationError(str(error)) from None
        return upload


@admin.register(Ambassador)
class AmbassadorAdmin(
    ErasingDelete, NotesMixin, PersonAdminMixin, FoldedSearchMixin, ListsFitTheScreen, ExportMixin, admin.ModelAdmin
):
    resource_classes = [AmbassadorResource]
    formats = EXPORT_FORMATS
    import_export_change_list_template = "admin/network/ambassador/change_list.html"
    export_template_name = "admin/network/ambassador/export.html"
    export_form_class = ExportForm
    formfield_overrides = CLEAN_INPUT_OVERRIDES
    list_display = [
        "full_name",
        "email_display",
        "phone_display",
        "locality",
        "status",
        "member_since",
        "source",
        "recruited",
    ]
    list_display_links = ["full_name"]
    list_filter = [
        "status",
        "locality",
        "interests",
        ("member_since", admin.DateFieldListFilter),
        HasEmailFilter,
        CompletedTrainingFilter,
    ]
    list_select_related = ["locality"]
    # Any part of a name or address, accents and case ignored, in the folded column search_text (network/search.py:
    # a trigram index on PostgreSQL); phones match in any form (search_also).
    search_fields = ["first_name", "last_name", "email"]
    folded_search_column = "search_text"
    search_help_text = _(
        "Any part of a name or email address (å, ä, ö and capitals need not match; @kramfors.se finds everyone with "
        "an address there), or a phone number in any form."
    )
    # No COUNT(*) of the whole register per page view: Django's second count is off, and the paginator estimates
    # a list longer than 10,000 on PostgreSQL ("about 70 000 ambassadors", network/admin_paging.py).
    show_full_result_count = False
    paginator = EstimatingPaginator
    autocomplete_fields = ["recommended_by"]
    filter_horizontal = ["interests"]
    readonly_fields = ["created_at", "updated_at", "mail_status", "events", "recruited_people", "timeline"]
    actions = ["make_active", "make_paused", "make_alumni", "erase_people", "start_onboarding"]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["first_name", "last_name", "email", "phone", "locality", "interests", "language"]}),
        (_("Membership"), {"fields": ["status", "member_since", "source", "recommended_by", "notes"]}),
        (_("Email from the network"), {"fields": ["wants_newsletters", "wants_invitations", "mail_status"]}),
        (_("Events and trainings"), {"fields": ["events"]}),
        (_("History"), {"fields": ["created_at", "updated_at"]}),
        (_("Recruitment"), {"fields": ["recruited_people"]}),
        (_("Timeline"), {"fields": ["timeline"]}),
    ]

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, obj: Ambassador) -> str:
        return obj.full_name

    @admin.display(description=_("email"), ordering="email", empty_value="–")
    def email_display(self, obj: Ambassador) -> str | None:
        return breakable(obj.email) if obj.email else None

    @admin.display(description=_("Events and trainings"))
    def events(self, obj: Ambassador) -> str:
        return ambassador_events(obj)

    @admin.display(description=_("Unsubscribes and blocked address"))
    def mail_status(self, obj: Ambassador) -> str:
        """What stops email reaching them, with dates and reasons (the checkboxes above are what they receive)."""
        if obj.pk is None:
            return "–"
        status = mail_status(obj)
        lines = [
            (
                _("Unsubscribed from %(kind)s on %(date)s (%(source)s)")
                % {
                    "kind": str(unsubscribe.get_category_display()).lower(),
                    "date": _date(unsubscribe.created_at),
                    "source": str(unsubscribe.get_source_display()).lower(),
                }
            )
            + (f" – {unsubscribe.campaign}" if unsubscribe.campaign else "")
            for unsubscribe in status.unsubscribes
        ]
        if status.suppression is not None:
            blocked = status.suppression
            lines.append(
                _("The address is blocked since %(date)s: %(reason)s")
                % {"date": _date(blocked.created_at), "reason": blocked.get_reason_display()}
                + (f" ({blocked.detail})" if blocked.detail else "")
            )
        if not lines:
            return _("Has not unsubscribed from anything, and the address is not blocked.")
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((line,) for line in lines)))

    def search_also(self, search_term: str) -> Q | None:
        # A phone number matches in whatever form it is typed: 070-190 64 48, 0701906448, +46 70 190 64 48.
        try:
            phone = normalize_phone(search_term) if any(ch.isdigit() for ch in search_term) else ""
        except ValueError:
            phone = ""
        return Q(phone=phone) if phone else None

    def _set_status(self, request, queryset, status: str) -> None:
        count = services.ambassadors_status_set(ambassadors=queryset, status=status, actor=request.user)
        label = Ambassador.Status(status).label
        self.message_user(
            request,
            ngettext("%(count)d ambassador is now %(status)s.", "%(count)d ambassadors are now %(status)s.", count)
            % {"count": count, "status": str(label).lower()},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark selected as active"), permissions=["change"])
    def make_active(self, request, queryset):
        self._set_status(request, queryset, Ambassador.Status.ACTIVE)

    @admin.action(description=_("Mark selected as paused"), permissions=["change"])
    def make_paused(self, request, queryset):
        self._set_status(request, queryset, Ambassador.Status.PAUSED)

    @admin.action(description=_("Mark selected as alumni"), permissions=["change"])
    def make_alumni(self, request, queryset):
        self._set_status(request, queryset, Ambassador.Status.ALUMNI)

    def has_start_onboarding_permission(self, request) -> bool:
        # Starting the series writes the people's enrollments: the right to add those.
        return request.user.has_perm("campaigns.add_enrollment")

    @admin.action(description=_("Start the introduction series"), permissions=["start_onboarding"])
    def start_onboarding(self, request, queryset):
        """Imported members through onboarding, as if their applications had just been approved."""
        result = services.ambassadors_start_onboarding(ambassadors=queryset)
        if result is None:
            self.message_user(
                request, _("The introduction series is switched off (see Email sequences)."), messages.ERROR
            )
            return
        text = ngettext(
            "The introduction series started for %(count)d ambassador.",
            "The introduction series started for %(count)d ambassadors.",
            result.started,
        ) % {"count": result.started}
        if result.already:
            text += " " + _("Already in it: %(count)d.") % {"count": result.already}
        if result.inactive or result.no_email:
            inactive = ngettext("%(count)d not active", "%(count)d not active", result.inactive)
            text += " " + _("Left out: %(inactive)s, %(no_email)d without an email address.") % {
                "inactive": inactive % {"count": result.inactive},
                "no_email": result.no_email,
            }
        self.message_user(request, text, messages.SUCCESS if result.started else messages.WARNING)

    # Removing people (network.erase_admin): the delete button and the bulk action erase them (crm.privacy). ----

    erase_text = _(
        "Everything about these people is deleted: their details, applications, recommendations of them, sign-in "
        "links and their place in the introduction series. The emails sent to them keep no address or name, so "
        "campaign reports count the same. The proof of their consent is kept without their address, which stays "
        "only as a pseudonym on the list of addresses never to be mailed again. This cannot be undone."
    )

    def has_delete_permission(self, request, obj=None) -> bool:
        """Removing a person is erasing them: the erase permission, not Django's delete one."""
        return request.user.has_perm("network.erase_ambassador")

    def erase(self, request, objects) -> int:
        for person in objects:
            person_erase(person, actor=request.user)  # which records it in the audit log
        return len(objects)

    def erase_done(self, count: int) -> str:
        return ngettext("%(count)d person was erased.", "%(count)d people were erased.", count) % {"count": count}

    def get_export_filename(self, request, queryset, file_format):
        return f"ambassadorer-{timezone.localdate():%Y-%m-%d}.{file_format.get_extension()}"

    # The audit log (crm.audit): who viewed, changed, exported or deleted whose data ---------------------------

    def get_data_for_export(self, request, queryset, **kwargs):
        data = super().get_data_for_export(request, queryset, **kwargs)
        ids = queryset.values_list("pk", flat=True) if hasattr(queryset, "values_list") else [o.pk for o in queryset]
        audit_record(action=AuditAction.EXPORT, ambassador_ids=list(ids), actor=request.user)
        return data

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:  # shown (a missing person redirects)
            audit_record(action=AuditAction.VIEW, ambassador_ids=[int(object_id)], actor=request.user)
        return response

    # Recruitment credit and the timeline (network.recruitment_admin, network.timeline) -------------------------

    def get_queryset(self, request):
        return selectors.ambassadors_with_recruited_count(super().get_queryset(request))

    @admin.display(description=_("recruited"), ordering="recruited_count")
    def recruited(self, obj: Ambassador) -> int:
        return getattr(obj, "recruited_count", 0)

    @admin.display(description=_("Has recruited"))
    def recruited_people(self, obj: Ambassador) -> str:
        return recruited_html(obj)

    @admin.display(description=_("timeline"))
    def timeline(self, obj: Ambassador) -> str:
        return timeline_html(person_timeline(obj)) if obj.pk else "–"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change or form.has_changed():
            audit_record(action=AuditAction.CHANGE, ambassador_ids=[obj.pk], actor=request.user)

    # Import ----------------------------------------------------------------------------------------------

    def has_import_permission(self, request) -> bool:
        return request.user.has_perm("network.import_ambassador")

    def has_export_permission(self, request) -> bool:
        """Exporting people's data is a permission of its own (network.export_ambassador), not only view."""
        return super().has_export_permission(request) and request.user.has_perm("network.export_ambassador")

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="network_ambassador_import"),
            *super().get_urls(),
        ]

    def get_changelist(self, request, **kwargs):
        return EstimatingChangeList

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "has_import_permission": self.has_import_permission(request)}
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None) or {}
        if getattr(context.get("cl"), "about_count", ""):  # "All about 70 000 selected", the count an estimate
            context["selection_note_all"] = _("All about %(count)s selected") % {"count": context["cl"].about_count}
        return response

    def import_view(self, request):
        """Upload → preview (nothing written) → import all, import only the valid rows, or nothing."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import ambassadors"),
            "columns": [aliases[0] for aliases in COLUMNS.values()],
        }
        resource = AmbassadorResource()
        if request.method == "POST" and "token" in request.POST:
            return self._import_confirmed(request, resource)
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data["file"].read()
            try:
                report = resource.import_file(data, dry_run=True)
            except ImportFileError as error:
                form.add_error("file", str(error))
            else:
                token = upload_store(data)
                context.update(report=report, token=token, file_name=form.cleaned_data["file"].name)
        context["form"] = form
        return TemplateResponse(request, "admin/network/ambassador/import.html", context)

    def _import_confirmed(self, request, resource: AmbassadorResource):
        token = request.POST["token"]
        data = upload_read(token)
        changelist = reverse("admin:network_ambassador_changelist")
        if data is None:
            self.message_user(request, _("The uploaded file has expired; please upload it again."), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:network_ambassador_import"))
        upload_discard(token)  # used once, whatever happens next
        if request.POST.get("action") == "cancel":
            self.message_user(request, _("Nothing was imported."), messages.INFO)
            return HttpResponseRedirect(changelist)
        try:
            report = resource.import_file(data, skip_invalid=request.POST.get("action") == "valid")
        except ImportFileError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:network_ambassador_import"))
        if not report.applied:
            self.message_user(request, _("Nothing was imported: some rows were rejected."), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:network_ambassador_import"))
        self.message_user(
            request,
            _("Import done: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(rejected)d rejected.")
            % report.counts,
            messages.SUCCESS,
        )
        return HttpResponseRedirect(changelist)
