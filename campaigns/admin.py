from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.utils.translation import gettext_lazy as _

from . import services
from .merge import merge_fields_unknown
from .models import Delivery, Enrollment, Sequence, Step, Suppression


class StepForm(ModelForm):
    class Meta:
        model = Step
        fields = ["delay_days", "subject", "body", "is_active"]

    def clean(self):
        cleaned = super().clean()
        unknown = merge_fields_unknown(f"{cleaned.get('subject', '')} {cleaned.get('body', '')}")
        if unknown:
            raise ValidationError(_("Unknown merge field: %(fields)s") % {"fields": ", ".join(unknown)})
        return cleaned


class StepInline(admin.StackedInline):
    model = Step
    form = StepForm
    extra = 0


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active"]
    inlines = [StepInline]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for step in formset.queryset.model.objects.filter(sequence=form.instance):
            services.step_reschedule(step)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["ambassador", "sequence", "enrolled_at", "next_step", "next_send_at"]
    list_select_related = ["ambassador", "sequence", "next_step"]
    list_filter = ["sequence"]
    readonly_fields = ["ambassador", "sequence", "enrolled_at"]
    search_fields = ["ambassador__first_name", "ambassador__last_name", "ambassador__email"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["to_email", "template", "status", "attempts", "last_error", "created_at", "sent_at"]
    list_filter = ["status", "template"]
    search_fields = ["to_email"]
    readonly_fields = [field.name for field in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["email", "reason", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]
