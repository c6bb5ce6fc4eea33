from django.urls import path

from . import event_views, views

urlpatterns = [
    path("bli-ambassador/", views.signup, name="signup"),
    path("bli-ambassador/tack/", views.signup_thanks, name="signup-thanks"),
    path("bekrafta/ny-lank/", views.new_link, name="confirm-new-link"),
    path("bekrafta/<str:token>/", views.confirm, name="application-confirm"),
    path("tipsa/", views.recommend, name="recommend"),
    path("tipsa/tack/", views.recommend_thanks, name="recommend-thanks"),
    path("tipsa/nej-tack/<str:token>/", views.recommendation_objection, name="recommendation-objection"),
    path("svar/prov/", event_views.rsvp_test, name="rsvp-test"),
    path("svar/<str:token>/", event_views.rsvp, name="rsvp"),
    path("integritet/", views.privacy, name="privacy"),
    path("tillganglighet/", views.accessibility, name="accessibility"),
]
