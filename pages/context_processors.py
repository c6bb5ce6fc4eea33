"""The header's Lättläst link: from a page to its easy-to-read version, and from that version back."""

from django.urls import reverse

# A page that informs and its Lättläst version (by URL name). Every other public page links to the Lättläst
# version of the page about the network, which links on to the others.
PAIRS = {
    "home": "easy-about",
    "signup": "easy-signup",
    "privacy": "easy-privacy",
    "accessibility": "easy-accessibility",
    "contact": "easy-contact",
}
STANDARD = {easy: standard for standard, easy in PAIRS.items()}
EASY = {**PAIRS, "signup-thanks": "easy-signup"}


def easy_read(request) -> dict:
    match = getattr(request, "resolver_match", None)
    name = match.url_name if match else None
    if name in STANDARD:
        return {"easy_read": {"current": True, "other_url": reverse(STANDARD[name])}}
    return {"easy_read": {"current": False, "other_url": reverse(EASY.get(name, "easy-about"))}}
