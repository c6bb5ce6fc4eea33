from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/mailbox/", views.mailbox, name="mailbox"),
    path("admin/mailbox/<str:name>/", views.mailbox_html, name="mailbox-html"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
