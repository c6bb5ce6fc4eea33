from django.urls import include, path

from . import views

urlpatterns = [
    path("avregistrera/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("avregistrera/<str:token>/installningar/", views.preferences, name="preferences"),
    path("webhooks/anymail/", include("anymail.urls")),
]
