"""The public pages whose text the coordinator writes in the admin (Markdown), in Swedish, English and Lättläst."""

from django.db import models
from django.utils.translation import gettext_lazy as _

MARKDOWN_HELP = _("Markdown: ## before a heading, - before each item of a list, [text](https://…) for a link.")


class Page(models.Model):
    class Slug(models.TextChoices):
        ABOUT = "about", _("About the network")

    slug = models.SlugField(_("page"), choices=Slug.choices, unique=True, editable=False)
    title = models.CharField(_("heading"), max_length=120)
    body = models.TextField(_("text"), help_text=MARKDOWN_HELP)
    title_en = models.CharField(_("heading in English"), max_length=120, blank=True)
    body_en = models.TextField(
        _("text in English"), blank=True, help_text=_("Empty: readers who chose English see the Swedish text.")
    )
    easy_title = models.CharField(_("heading in Lättläst"), max_length=120)
    easy_body = models.TextField(
        _("text in Lättläst"),
        help_text=_(
            "Easy-to-read Swedish: short sentences with one thought each, common words, no abbreviations. "
            "Aim for LIX 30 or below and at most 15 words in a sentence."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("page")
        verbose_name_plural = _("pages")

    def __str__(self) -> str:
        return self.get_slug_display()
