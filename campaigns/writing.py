"""Writing Markdown in the admin (newsletters, the public pages): a preview as the email or page will show it, and
how the text reads (LIX and the sentences that are too long), shown as the coordinator writes. A hint, never a
block: nothing here stops a save."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, JsonResponse
from django.template.loader import render_to_string
from django.urls import path
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from crm.readability import long_sentences, readability

from .merge import markdown_html, markdown_text

SENTENCE_WORDS = 20  # more words than this in one sentence is flagged
LEVELS = [  # (LIX below, what it reads like): the usual Swedish scale
    (25, _("very easy")),
    (30, _("easy")),
    (40, _("medium, like a newspaper")),
    (50, _("hard, like a textbook")),
    (float("inf"), _("very hard, like an official document")),
]


def writing_hint(markdown: str, sentence_words: int = SENTENCE_WORDS) -> dict:
    text = markdown_text(markdown)
    measured = readability(text)
    return {
        "words": measured.words,
        "lix": round(measured.lix),
        "level": next(level for below, level in LEVELS if measured.lix < below),
        "sentence_words": sentence_words,
        "long": long_sentences(text, sentence_words),
    }


def preview(markdown: str, sentence_words: int = SENTENCE_WORDS) -> dict:
    """The Markdown as HTML (sanitised) and the hint about how it reads, as HTML for the page."""
    return {
        "html": markdown_html(markdown),
        "hint": render_to_string("admin/widgets/writing_hint.html", writing_hint(markdown, sentence_words)),
    }


def preview_path(model_admin, name: str):
    """The URL of a ModelAdmin's live preview (`markdown/`): the answer to a POST of {body, sentence_words}, for
    staff who may add or change its objects."""

    def view(request):
        if not (model_admin.has_add_permission(request) or model_admin.has_change_permission(request)):
            raise PermissionDenied
        return preview_response(request)

    return path("markdown/", model_admin.admin_site.admin_view(view), name=name)


def preview_response(request) -> JsonResponse | HttpResponseNotAllowed:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        sentence_words = min(max(int(request.POST.get("sentence_words", "")), 5), 60)
    except ValueError:
        sentence_words = SENTENCE_WORDS
    return JsonResponse(preview(request.POST.get("body", ""), sentence_words))


class MarkdownTextarea(forms.Textarea):
    """A Markdown field with, below it, how the text reads and a preview, both kept up to date while typing by
    campaigns/writing.js (which posts the text to `preview_url`). Without JavaScript they show the saved text."""

    template_name = "admin/widgets/markdown.html"

    class Media:
        js = ["campaigns/writing.js"]

    def __init__(self, preview_url, *, sentence_words: int = SENTENCE_WORDS, language: str = ""):
        self.sentence_words = sentence_words
        attrs = {"data-preview-url": preview_url, "data-sentence-words": sentence_words}
        super().__init__({**attrs, "lang": language} if language else attrs)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        shown = preview(value or "", self.sentence_words)
        context["hint"] = mark_safe(shown["hint"])  # noqa: S308 - our template, autoescaped
        context["preview"] = mark_safe(shown["html"])  # noqa: S308 - sanitised by markdown_html
        return context
