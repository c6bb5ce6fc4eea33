"""The campaigns app's admin: sequences and their steps, enrollments, deliveries (the outbox), unsubscribes, blocked
addresses and audiences. Campaigns are in campaign_admin, imported here, which Django's autodiscovery of
`campaigns.admin` loads."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import CheckboxSelectMultiple, ModelForm, ModelMultipleChoiceField, MultipleChoiceField, TextInput
from django.http import HttpResponseNotAllowed, JsonResponse
from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm.admin import NotDeletedAlone
from crm.languages import language_name
from network.models import Ambassador, Interest, Locality

from .campaign_admin import CampaignAdmin
from .labels import TEMPLATE_LABELS, readable_subject, template_label
from .merge import merge_fields_unknown
from .models import Delivery, Enrollment, Segment, Sequence, Step, Suppression, Unsubscribe
from .selectors import audience, audience_of, members_matching, sequence_active, sequences_active
from .services.sequences import NotEnrollable, enroll, enrollment_refusal, sequence_reschedule
from .writing import MarkdownTextarea, preview_path

STEP_PREVIEW_URL = reverse_lazy("admin:campaigns_sequence_markdown")


class StepForm(ModelForm):
    class Meta:
        model = Step
        fields = ["delay_days", "subject", "body", "subject_en", "body_en", "is_active"]
        widgets = {
            "body": MarkdownTextarea(STEP_PREVIEW_URL),
            "subject_en": TextInput(attrs={"lang": "en"}),
            "body_en": MarkdownTextarea(STEP_PREVIEW_URL, language="en"),
        }

    def clean(self):
        cleaned = super().clean()
        unknown = merge_fields_unknown(
            " ".join(cleaned.get(name) or "" for name in ("subject", "body", "subject_en", "body_en"))
        )
        if unknown:
            raise ValidationError(_("Unknown merge field: %(fields)s") % {"fields": ", ".join(unknown)})
        return cleaned


class StepInline(admin.StackedInline):
    model = Step
    form = StepForm
    extra = 0


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]  # not the key the code finds it by ("onboarding"), on its page only
    inlines = [StepInline]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        sequence_reschedule(form.instance)

    def get_urls(self):
        return [preview_path(self, "campaigns_sequence_markdown"), *super().get_urls()]  # the steps' live preview


class EnrollmentAddForm(ModelForm):
    """Put one ambassador (an imported member, say) through a sequence: enrolled now, as approving does."""

    class Meta:
        model = Enrollment
        fields = ["ambassador", "sequence"]

    REFUSED = {
        NotEnrollable.INACTIVE: _("Only active ambassadors receive the series: mark them active first."),
        NotEnrollable.NO_EMAIL: _("This ambassador has no email address: add one first."),
        NotEnrollable.ALREADY: _("This ambassador is already in the series."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sequence"].queryset = sequences_active()
        onboarding = sequence_active(Sequence.ONBOARDING)
        if onboarding and not self.initial.get("sequence"):
            self.initial["sequence"] = onboarding.pk

    def clean(self):
        cleaned = super().clean()
        ambassador = cleaned.get("ambassador")
        if ambassador is None:
            return cleaned
        refusal = enrollment_refusal(ambassador=ambassador, sequence=cleaned.get("sequence"))
        if refusal is not None:
            self.add_error("ambassador", self.REFUSED[refusal])
        return cleaned  # an error on "ambassador" also spares the coordinator the model constraint's wording


@admin.register(Enrollment)
class EnrollmentAdmin(NotDeletedAlone, admin.ModelAdmin):
    list_display = ["ambassador", "sequence", "enrolled_at", "next_step", "next_send_at"]
    list_select_related = ["ambassador", "sequence", "next_step"]
    list_filter = ["sequence"]
    search_fields = ["ambassador__first_name", "ambassador__last_name", "ambassador__email"]
    autocomplete_fields = ["ambassador"]

    def get_readonly_fields(self, request, obj=None):
        return ["ambassador", "sequence", "enrolled_at"] if obj is not None else []

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["ambassador", "sequence"]
        return ["ambassador", "sequence", "enrolled_at", "next_step", "next_send_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = EnrollmentAddForm
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # The service decides the first step and sends the welcome at once, as when an application is approved.
        enrollment = enroll(ambassador=obj.ambassador, sequence_slug=obj.sequence.slug)
        if enrollment is None:  # the sequence was switched off meanwhile
            raise PermissionDenied
        obj.pk, obj.enrolled_at = enrollment.pk, enrollment.enrolled_at
        obj.next_step_id, obj.next_send_at = enrollment.next_step_id, enrollment.next_send_at
        return None


class DeliveryTemplateFilter(admin.SimpleListFilter):
    """Which email, by its name ("Ansökan avböjd"), not its template's code."""

    title = _("email")
    parameter_name = "template"

    def lookups(self, request, model_admin):
        return list(TEMPLATE_LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(template=self.value()) if self.value() else queryset


@admin.register(Delivery)
class DeliveryAdmin(NotDeletedAlone, admin.ModelAdmin):
    list_display = ["to_email", "email", "language_name", "status", "attempts", "last_error", "created_at", "sent_at"]
    list_filter = ["status", DeliveryTemplateFilter]
    list_select_related = ["campaign", "step__sequence"]
    search_fields = ["to_email"]
    # Every field read-only, the template and the language shown by name (the change page lists them all), but the
    # outbox's machinery: the one-off key and the sending mark are codes, and the context holds the email's values
    # under code names, sign-in and confirmation links among them.
    readonly_fields = [
        {"template": "email", "language": "language_name"}.get(field.name, field.name)
        for field in Delivery._meta.fields
        if field.name not in ("key", "context", "claim_token")
    ]

    def get_fields(self, request, obj=None):
        return self.readonly_fields

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("email"), ordering="template")
    def email(self, delivery: Delivery) -> str:
        """What the email was, by name ("Ansökan avböjd", "Utskick: Nyhetsbrev december"), not a template code."""
        if delivery.template == "campaign" and delivery.campaign_id:
            return f"{template_label(delivery.template)}: {delivery.campaign}"
        if delivery.template == "step" and delivery.step_id:
            return f"{delivery.step.sequence}: {readable_subject(delivery.step.subject)}"
        return template_label(delivery.template)

    @admin.display(description=_("language"), ordering="language")
    def language_name(self, delivery: Delivery) -> str:
        return language_name(delivery.language)


@admin.register(Unsubscribe)
class UnsubscribeAdmin(NotDeletedAlone, admin.ModelAdmin):
    list_display = ["ambassador", "category", "source", "campaign", "created_at"]
    list_filter = ["category", "source"]
    list_select_related = ["ambassador", "campaign"]
    readonly_fields = ["ambassador", "category", "source", "campaign", "created_at"]

    def has_add_permission(self, request):
        return False  # recorded when a recipient unsubscribes; every field is read-only


@admin.register(Suppression)
class SuppressionAdmin(NotDeletedAlone, admin.ModelAdmin):
    list_display = ["email", "reason", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]


class SegmentForm(ModelForm):
    statuses = MultipleChoiceField(
        label=_("Status"),
        choices=Ambassador.Status.choices,
        required=False,
        widget=CheckboxSelectMultiple,
        help_text=_("Empty: active ambassadors only."),
    )

    localities = ModelMultipleChoiceField(
        label=_("Localities"), queryset=Locality.objects.all(), required=False, widget=CheckboxSelectMultiple
    )
    interests = ModelMultipleChoiceField(
        label=_("Interests"), queryset=Interest.objects.all(), required=False, widget=CheckboxSelectMultiple
    )

    class Meta:
        model = Segment
        fields = [
            "name",
            "statuses",
            "localities",
            "interests",
            "member_since_from",
            "member_since_to",
            "received",
            "not_received",
            "completed_training",
        ]


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    form = SegmentForm
    readonly_fields = ["recipients"]
    change_form_template = "admin/campaigns/segment/change_form.html"

    @staticmethod
    def describe(reached) -> str:
        count = reached.recipients.count()
        left_out = _("Left out: %(no_email)d without an email address, %(unsubscribed)s, %(suppressed)s.") % {
            "no_email": reached.no_email,
            "unsubscribed": ngettext("%(count)d unsubscribed", "%(count)d unsubscribed", reached.unsubscribed)
            % {"count": reached.unsubscribed},
            "suppressed": ngettext(
                "%(count)d blocked address (bounce or complaint)",
                "%(count)d blocked addresses (bounces or complaints)",
                reached.suppressed,
            )
            % {"count": reached.suppressed},
        }
        return ngettext("%(count)d recipient.", "%(count)d recipients.", count) % {"count": count} + " " + left_out

    @admin.display(description=_("Recipients now"))
    def recipients(self, segment: Segment) -> str:
        if not segment.pk:
            return _("Choose above; the count follows your choices.")
        return self.describe(audience(segment))

    def get_urls(self):
        return [
            path("count/", self.admin_site.admin_view(self.count_view), name="campaigns_segment_count"),
            *super().get_urls(),
        ]

    def count_view(self, request):
        """The live count while the coordinator ticks boxes: the form's choices, nothing saved."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        form = SegmentForm(request.POST)
        form.is_valid()  # a half-filled form still counts on what is valid
        data = form.cleaned_data
        members = members_matching(
            statuses=data.get("statuses") or [],
            locality_ids=[locality.pk for locality in data.get("localities") or []],
            interest_ids=[interest.pk for interest in data.get("interests") or []],
            member_since_from=data.get("member_since_from"),
            member_since_to=data.get("member_since_to"),
            received_id=data["received"].pk if data.get("received") else None,
            not_received_id=data["not_received"].pk if data.get("not_received") else None,
            completed_training_id=data["completed_training"].pk if data.get("completed_training") else None,
        )
        return JsonResponse({"text": self.describe(audience_of(members))})


__all__ = [
    "CampaignAdmin",
    "DeliveryAdmin",
    "EnrollmentAdmin",
    "SegmentAdmin",
    "SequenceAdmin",
    "SuppressionAdmin",
    "UnsubscribeAdmin",
]
