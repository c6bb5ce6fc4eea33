"""The public pages' text in the admin: the coordinator edits it (Markdown, with a preview and a hint on how it
reads as she writes); the pages themselves are part of the product, so none is added or deleted here."""

from __future__ import annotations

from django.contrib import admin
from django.forms import ModelForm, TextInput
from django.urls import reverse, reverse_lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from campaigns.writing import MarkdownTextarea, preview_path

from .models import Page

PREVIEW_URL = reverse_lazy("admin:pages_page_markdown")
EASY_SENTENCE_WORDS = 15  # the Lättläst guidance: short sentences, one thought each


class PageForm(ModelForm):
    class Meta:
        model = Page
        fields = ["title", "body", "title_en", "body_en", "easy_title", "easy_body"]
        widgets = {
            "title_en": TextInput(attrs={"lang": "en"}),
            "body": MarkdownTextarea(PREVIEW_URL),
            "body_en": MarkdownTextarea(PREVIEW_URL, language="en"),
            "easy_body": MarkdownTextarea(PREVIEW_URL, sentence_words=EASY_SENTENCE_WORDS),
        }


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    form = PageForm
    list_display = ["__str__", "title", "updated_at", "public_link"]
    readonly_fields = ["public_link"]
    fieldsets = [
        (_("Swedish"), {"fields": ["public_link", "title", "body"]}),
        (_("English"), {"fields": ["title_en", "body_en"]}),
        (
            _("Easy to read"),
            {
                "fields": ["easy_title", "easy_body"],
                "description": _("The easy-to-read Swedish version, linked from the header of every public page."),
            },
        ),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("on the site"))
    def public_link(self, page: Page) -> str:
        return format_html('<a href="{0}">{0}</a>', reverse("home"))

    def get_urls(self):
        return [preview_path(self, "pages_page_markdown"), *super().get_urls()]
