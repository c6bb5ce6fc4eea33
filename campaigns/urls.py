from django.urls import path

from . import views, webhooks

urlpatterns = [
    # Where test copies and previews link (no real token is "test": they are signed and hold a colon).
    path("avregistrera/test/", views.unsubscribe_test, name="unsubscribe-test"),
    path("avregistrera/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # /avregistrera/<token>/installningar/ (the preferences page) is served by mypages.
    # Only the ESPs in settings.EMAIL_WEBHOOK_ESPS answer (campaigns.webhooks); no inbound webhooks.
    path("webhooks/anymail/<slug:esp>/tracking/", webhooks.tracking_webhook, name="tracking-webhook"),
]
