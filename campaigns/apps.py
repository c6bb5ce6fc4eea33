from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Email")

    def ready(self) -> None:
        # checks registers the webhook system checks; tracking connects the anymail tracking receiver.
        from . import checks  # noqa: F401
        from .services import tracking  # noqa: F401
