from django.conf import settings
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
