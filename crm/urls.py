from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from . import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="signup"), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/mailbox/", views.mailbox, name="mailbox"),
    path("admin/mailbox/<str:name>/", views.mailbox_html, name="mailbox-html"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("network.urls")),
    path("", include("campaigns.urls")),
]
