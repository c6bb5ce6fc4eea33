from django.urls import path

from . import views, webhooks

urlpatterns = [
    path("avregistrera/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("avregistrera/<str:token>/installningar/", views.preferences, name="preferences"),
    # Only the ESPs in settings.EMAIL_WEBHOOK_ESPS answer (campaigns.webhooks); no inbound webhooks.
    path("webhooks/anymail/<slug:esp>/tracking/", webhooks.tracking_webhook, name="tracking-webhook"),
]
