import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponseRedirect
from django.utils import translation
from django.utils.cache import add_never_cache_headers

from .languages import LANGUAGE_PARAMETER


class LanguageMiddleware:
    """Swedish unless the visitor chose English with the language switch (the cookie set by set_language).

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language: the product is Swedish first.

    A link in an email carries its reader's language (`?lang=en`, see crm.languages.with_language): a GET with it
    sets the language cookie as the switch does and redirects to the same address without the parameter, so that
    the page, the ones after it and the language switch all go on in that language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.GET.get(LANGUAGE_PARAMETER)
        if chosen in dict(settings.LANGUAGES) and request.method in ("GET", "HEAD"):
            return self._remember(request, chosen)
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, settings.LANGUAGE_CODE)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response

    @staticmethod
    def _remember(request, language: str):
        query = request.GET.copy()
        del query[LANGUAGE_PARAMETER]
        response = HttpResponseRedirect(request.path + (f"?{query.urlencode()}" if query else ""))
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        add_never_cache_headers(response)
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
