"""What every page's template may use."""

from django.conf import settings

from . import adapt as reading_aids


def sender_name(request) -> dict:
    """The network's one name towards people (settings.EMAIL_SENDER_NAME): the title and the brand of each page."""
    return {"sender_name": settings.EMAIL_SENDER_NAME}


def adapt(request) -> dict:
    """The reader's Anpassa choices (crm/adapt.py): the classes on the page's <html> element and the header's form."""
    chosen = reading_aids.read(request)
    return {"adapt": {"classes": reading_aids.classes(chosen), "fieldsets": reading_aids.fieldsets(chosen)}}
