"""The admin's search: any part of a name, accents and case ignored, addresses by any part (a domain too).

"ström" finds Bergström, "astrom" finds Åström, "@kramfors.se" everyone with an address there. Text is compared
as `search_fold(text) LIKE '%' || search_fold(term) || '%'`, the same SQL on both databases:

- PostgreSQL: `search_fold` is lower(unaccent(…)), an IMMUTABLE SQL function created by the migration
  network/0005 with the unaccent and pg_trgm extensions.
- SQLite (`make run`, the default test run): crm/sqlite.py registers `search_fold` as a Python function that gives
  the same answers (`crm.sqlite.search_fold`); each search reads the whole table, which is fast at the sizes
  SQLite is used for.

Ambassadors, the register that grows to 100,000, have their searchable text folded once, when a row is written:
the column `search_text` ("anna astrom anna@kramfors.se", a generated column the database keeps), with one trigram
(GIN) index on PostgreSQL (migration network/0017). A search compares each word with that column alone, so the
index finds the rows and checking a row is a plain LIKE, not an unaccent per row and field. Applications and
recruitment contacts, small lists, fold their fields at search time (`folded_search_fields`).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Concat
from django.db.models.lookups import Contains
from django.utils.text import smart_split, unescape_string_literal


class SearchFold(models.Func):
    """Lowercase, without accents: search_fold('Åström') = 'astrom'."""

    function = "search_fold"
    output_field = models.TextField()


def search_text_field() -> models.GeneratedField:
    """An ambassador's names and address, folded, in one column: what their search compares with."""
    email = Coalesce("email", models.Value(""), output_field=models.TextField())
    text = Concat(
        "first_name", models.Value(" "), "last_name", models.Value(" "), email, output_field=models.TextField()
    )
    return models.GeneratedField(
        expression=SearchFold(text), output_field=models.TextField(), db_persist=True, editable=False
    )


def search_terms(text: str) -> list[str]:
    """The words of a search, as Django's admin splits them ("Anna Berg" is two words, "\\"Anna Berg\\"" one)."""
    terms = []
    for bit in smart_split(text):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        if bit.strip():
            terms.append(bit)
    return terms


def matching(text: str, *, folded: list[str], plain: list[str] = (), column: str = "") -> Q | None:
    """Rows where every word of `text` is part of one of the fields: the `folded` ones (names) compared without
    accents and case, the `plain` ones (addresses, stored lowercase) as they are; or, given a `column` of text
    folded already (`search_text_field`), part of that. None for an empty search."""
    terms = search_terms(text)
    if not terms:
        return None
    condition = Q()
    for term in terms:
        wanted = SearchFold(models.Value(term))
        if column:
            condition &= Q(Contains(models.F(column), wanted))
            continue
        any_field = Q()
        for field in folded:
            any_field |= Q(Contains(SearchFold(field), wanted))
        for field in plain:
            any_field |= Q(Contains(models.F(field), wanted))
        condition &= any_field
    return condition


class FoldedSearchMixin:
    """For a ModelAdmin: `folded_search_fields` (names) and `plain_search_fields` (addresses) searched by any part,
    accents and case ignored; or `folded_search_column`, a column of them folded already. `search_fields` must
    still name the fields, for the admin to show its search box."""

    folded_search_fields: list[str] = []
    plain_search_fields: list[str] = []
    folded_search_column = ""

    def get_search_results(self, request, queryset, search_term):
        condition = matching(
            search_term,
            folded=self.folded_search_fields,
            plain=self.plain_search_fields,
            column=self.folded_search_column,
        )
        if condition is None:
            return queryset, False
        also = self.search_also(search_term)
        return queryset.filter(condition | also if also is not None else condition), False

    def search_also(self, search_term: str) -> Q | None:
        """Other rows the search finds (an ambassador by a phone number typed in any form)."""
        return None
