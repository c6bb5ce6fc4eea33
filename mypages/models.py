from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from network.models import Ambassador


class SignInLink(models.Model):
    """A sign-in link to Mina sidor, emailed on request: valid for a short time, used once.

    Only a hash of the link's secret is stored, so the table alone signs nobody in; the link itself is also signed
    with a purpose-salted key (mypages.services), so it cannot be forged or reused for anything else."""

    ambassador = models.ForeignKey(
        Ambassador, verbose_name=_("ambassador"), on_delete=models.CASCADE, related_name="sign_in_links"
    )
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), db_index=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in link")
        verbose_name_plural = _("sign-in links")

    def __str__(self) -> str:
        return f"{self.ambassador_id} {self.created_at:%Y-%m-%d %H:%M}"
