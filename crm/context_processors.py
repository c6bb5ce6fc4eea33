"""What every page's template may use."""

from django.conf import settings


def sender_name(request) -> dict:
    """The network's one name towards people (settings.EMAIL_SENDER_NAME): the title and the brand of each page."""
    return {"sender_name": settings.EMAIL_SENDER_NAME}


def adapt(request) -> dict:
    """The reader's Anpassa choices, as classes on the page's <html> element."""
    return {"adapt": {"classes": ""}}
