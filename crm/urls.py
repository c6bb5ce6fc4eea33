from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views

# The local mailbox of `make run` exists only with DEBUG on; in production these paths are not routed at all.
debug_urlpatterns = [
    path("admin/mailbox/", views.mailbox, name="mailbox"),
    path("admin/mailbox/<str:name>/", views.mailbox_html, name="mailbox-html"),
]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("anpassa/", views.adapt, name="adapt"),  # the header's Anpassa form posts here
    *(debug_urlpatterns if settings.DEBUG else []),
    path("", include("dashboard.urls")),  # the dashboard's CSV export, under /admin/
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("network.urls")),
    path("", include("campaigns.urls")),
    path("", include("mypages.urls")),
    path("", include("pages.urls")),
]
