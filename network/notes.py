"""A coordinator's notes on a person's timeline (an ambassador's or a recruitment contact's page)."""

from __future__ import annotations

from .models import Ambassador, Note, RecruitmentContact


def note_add(*, person: Ambassador | RecruitmentContact, author, text: str) -> Note | None:
    """A note on the person's timeline, by `author` (a member of staff), cut to the length a note may have. None,
    and nothing written, when the text is blank."""
    text = text.strip()[: Note._meta.get_field("text").max_length]
    if not text:
        return None
    field = "ambassador" if isinstance(person, Ambassador) else "contact"
    return Note.objects.create(**{field: person}, author=author, text=text)
