from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Email")

    def ready(self) -> None:
        from . import tracking  # noqa: F401 - connects the anymail tracking receiver
