import time

from django.conf import settings
from django.contrib.auth import logout
from django.utils import translation


class LanguageMiddleware:
    """Swedish unless the visitor chose English with the language switch (the cookie set by set_language).

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language: the product is Swedish first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, settings.LANGUAGE_CODE)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class SessionTimeoutMiddleware:
    """Ends a logged-in session after SESSION_IDLE_SECONDS without a request, and SESSION_COOKIE_AGE after it
    started at the latest, however active it is. The time of the last request is written at most once a minute."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = session.setdefault("session_started_at", now)
            seen = session.get("session_seen_at", started)
            if now - seen > settings.SESSION_IDLE_SECONDS or now - started > settings.SESSION_COOKIE_AGE:
                logout(request)
            elif now - seen >= 60 or "session_seen_at" not in session:
                session["session_seen_at"] = now
        return self.get_response(request)
