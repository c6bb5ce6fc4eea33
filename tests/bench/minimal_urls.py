"""The app's URLs plus one minimal Django view, the baseline of `signup_post`."""

from django.http import HttpResponse
from django.urls import path

from crm.urls import urlpatterns as app_urlpatterns


def minimal(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/minimal/", minimal), *app_urlpatterns]
