from django.urls import path

from . import views

urlpatterns = [
    path("mina-sidor/", views.home, name="mypages"),
    path("mina-sidor/logga-in/<str:token>/", views.sign_in, name="mypages-sign-in"),
    path("mina-sidor/logga-ut/", views.sign_out, name="mypages-sign-out"),
    path("mina-sidor/uppgifter/", views.details, name="mypages-details"),
    path("mina-sidor/utskick/", views.mailings, name="mypages-mailings"),
    path("mina-sidor/mina-data/", views.data, name="mypages-data"),
    path("mina-sidor/mina-data.json", views.data_json, name="mypages-data-json"),
    path("mina-sidor/lamna/", views.leave, name="mypages-leave"),
    # Moved here from campaigns: the preferences page the unsubscribe pages of emails already sent link to.
    path("avregistrera/<str:token>/installningar/", views.preferences, name="preferences"),
]
