from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ExportMixin

from crm.audit import Action as AuditAction
from crm.audit import audit_record

from . import services
from .forms import CLEAN_INPUT_OVERRIDES, TextField
from .importing import COLUMNS, ImportFileError, check_file_size, upload_discard, upload_read, upload_store
from .models import Ambassador, Application, ConsentRecord, Interest, Locality, RecruitmentContact
from .normalize import format_phone, normalize_phone
from .resources import EXPORT_FORMATS, AmbassadorResource, ExportForm


@admin.register(Locality)
class LocalityAdmin(admin.ModelAdmin):
    formfield_overrides = CLEAN_INPUT_OVERRIDES
    search_fields = ["name"]


@admin.register(Interest)
class InterestAdmin(admin.ModelAdmin):
    formfield_overrides = CLEAN_INPUT_OVERRIDES
    search_fields = ["name"]


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
class AmbassadorAdmin(ExportMixin, admin.ModelAdmin):
    resource_classes = [AmbassadorResource]
    formats = EXPORT_FORMATS
    import_export_change_list_template = "admin/network/ambassador/change_list.html"
    export_template_name = "admin/network/ambassador/export.html"
    export_form_class = ExportForm
    formfield_overrides = CLEAN_INPUT_OVERRIDES
    list_display = ["full_name", "email", "phone_display", "locality", "status", "member_since", "source"]
    list_display_links = ["full_name"]
    list_filter = ["status", "locality", "interests", ("member_since", admin.DateFieldListFilter), HasEmailFilter]
    list_select_related = ["locality"]
    # Prefix search (indexed on PostgreSQL) keeps the list fast at any size; phones match in any form (below).
    search_fields = ["^first_name", "^last_name", "^email"]
    search_help_text = _("Start of a first name, last name or email address, or a phone number in any form.")
    show_full_result_count = False
    autocomplete_fields = ["referred_by"]
    filter_horizontal = ["interests"]
    readonly_fields = ["created_at", "updated_at"]
    actions = ["make_active", "make_paused", "make_alumni"]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["first_name", "last_name", "email", "phone", "locality", "interests", "language"]}),
        (_("Membership"), {"fields": ["status", "member_since", "source", "referred_by", "notes"]}),
        (_("History"), {"fields": ["created_at", "updated_at"]}),
    ]

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, obj: Ambassador) -> str:
        return obj.full_name

    @admin.display(description=_("phone"), ordering="phone")
    def phone_display(self, obj: Ambassador) -> str:
        return format_phone(obj.phone)

    def get_search_results(self, request, queryset, search_term):
        # A phone number matches in whatever form it is typed: 070-190 64 48, 0701906448, +46 70 190 64 48.
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            phone = normalize_phone(search_term) if any(ch.isdigit() for ch in search_term) else ""
        except ValueError:
            phone = ""
        if phone:
            results = results | queryset.filter(Q(phone=phone))
        return results, may_have_duplicates

    def _set_status(self, request, queryset, status: str) -> None:
        ids = list(queryset.exclude(status=status).values_list("pk", flat=True))
        count = queryset.update(status=status)
        audit_record(action=AuditAction.CHANGE, ambassador_ids=ids, actor=request.user)
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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change or form.has_changed():
            audit_record(action=AuditAction.CHANGE, ambassador_ids=[obj.pk], actor=request.user)

    def delete_model(self, request, obj):
        pk = obj.pk
        super().delete_model(request, obj)
        audit_record(action=AuditAction.ERASE, ambassador_ids=[pk], actor=request.user)

    def delete_queryset(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        audit_record(action=AuditAction.ERASE, ambassador_ids=ids, actor=request.user)

    # Import ----------------------------------------------------------------------------------------------

    def has_import_permission(self, request) -> bool:
        return request.user.has_perm("network.import_ambassador")

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="network_ambassador_import"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "has_import_permission": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

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


class ReviewForm(forms.Form):
    personal_line = TextField(
        label=_("A personal line in the email (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    formfield_overrides = CLEAN_INPUT_OVERRIDES
    list_display = ["__str__", "locality", "status", "created_at", "confirmed_at"]
    list_filter = ["status", "locality", "interests", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["locality"]
    search_fields = ["first_name", "last_name", "email"]
    readonly_fields = [
        "status",
        "ambassador",
        "created_at",
        "confirmation_sent_at",
        "confirmed_at",
        "decided_at",
        "decided_by",
        "language",
    ]
    actions = ["approve", "decline"]

    def has_add_permission(self, request):
        return False

    def _review(self, request, queryset, *, verb: str, service, title):
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
                    self.message_user(request, _("%(count)d application(s) %(verb)s.") % {"count": done, "verb": verb})
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
            request, queryset, verb=_("approved"), service=services.application_approve, title=_("Approve applications")
        )

    @admin.action(description=_("Decline selected applications"), permissions=["change"])
    def decline(self, request, queryset):
        return self._review(
            request, queryset, verb=_("declined"), service=services.application_decline, title=_("Decline applications")
        )


@admin.register(RecruitmentContact)
class RecruitmentContactAdmin(admin.ModelAdmin):
    formfield_overrides = CLEAN_INPUT_OVERRIDES
    list_display = ["name", "contact", "source", "status", "follow_up_on", "referred_by", "created_at"]
    list_filter = ["status", "source", ("follow_up_on", admin.DateFieldListFilter)]
    list_editable = ["status", "follow_up_on"]
    list_select_related = ["referred_by"]
    search_fields = ["name", "contact", "tipper_name", "tipper_email"]
    autocomplete_fields = ["referred_by"]


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    list_display = ["email", "purpose", "text_version", "source", "given_at", "withdrawn_at"]
    list_filter = ["purpose", "source", ("withdrawn_at", admin.EmptyFieldListFilter)]
    search_fields = ["email"]
    readonly_fields = [
        "email",
        "purpose",
        "text_version",
        "source",
        "given_at",
        "withdrawn_at",
        "application",
        "ambassador",
    ]

    def has_add_permission(self, request):
        return False
