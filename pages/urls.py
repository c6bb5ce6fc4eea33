from django.urls import path
from django.views.generic import RedirectView

from . import views

urlpatterns = [
    path("", views.about, name="home"),
    path("om/", RedirectView.as_view(pattern_name="home", permanent=True), name="about"),
    path("kontakt/", views.contact, name="contact"),
    path("lattlast/", views.easy_about, name="easy-about"),
    path("lattlast/bli-ambassador/", views.easy_signup, name="easy-signup"),
    path("lattlast/integritet/", views.easy_privacy, name="easy-privacy"),
    path("lattlast/tillganglighet/", views.easy_accessibility, name="easy-accessibility"),
    path("lattlast/kontakt/", views.easy_contact, name="easy-contact"),
]
