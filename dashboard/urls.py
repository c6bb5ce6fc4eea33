from django.contrib import admin
from django.urls import path

from . import views

# Under /admin/, behind the admin's own login (and second factor): included before the admin site in crm/urls.py.
urlpatterns = [
    path("admin/dashboard/export.csv", admin.site.admin_view(views.export), name="dashboard-export"),
    path("admin/dashboard/report/", admin.site.admin_view(views.report), name="dashboard-report"),
]
