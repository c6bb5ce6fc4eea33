"""Counting a long admin list without reading all of it on every page view (issue 22: 100,000 ambassadors).

Django's paginator counts a list with COUNT(*) each time a page of it is shown, and on PostgreSQL that reads every
row of the list: the whole register for the unfiltered list, 70,000 rows for "active". Here, on PostgreSQL:

- a list of at most `exact_up_to` rows (10,000) is counted exactly, by a count that stops after `exact_up_to` + 1
  rows: a search, a locality, the whole list at the size Kramfors has;
- a longer one by PostgreSQL's own estimate of its rows (the planner's, network/0017 `planner_row_estimate`: the
  table's statistics, a filter's too), which the list shows as "about 70 000 ambassadors", rounded to two digits;
- both in one query of bounded cost, the same query at 1,000 and at 100,000 ambassadors.

The pages are numbered from the estimate until the end of the list comes in sight (a page at or past the estimated
last one, or a page that comes back short): there the list is counted exactly, once, so that the last page is the
real last page, and a page number past the end shows it. SQLite (`make run`, the tests) counts exactly, as Django
does.
"""

from __future__ import annotations

from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils import formats
from django.utils.functional import cached_property


def count_or_estimate(queryset: QuerySet, exact_up_to: int) -> tuple[int, bool]:
    """The rows of `queryset`, exactly if at most `exact_up_to`, else PostgreSQL's estimate; and whether it is one.
    One query, which reads at most `exact_up_to` + 1 rows."""
    connection = connections[queryset.db]
    rows = queryset.order_by().values("pk")
    sql, params = rows.query.get_compiler(connection=connection).as_sql()
    capped = f"SELECT COUNT(*) AS n FROM ({sql} LIMIT %s) AS capped"  # noqa: S608 - the ORM's SQL, values as %s
    estimated = "CASE WHEN counted.n > %s THEN planner_row_estimate(%s) END"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT counted.n, {estimated} FROM ({capped}) AS counted",  # noqa: S608 - as above
            [exact_up_to, connection.ops.compose_sql(sql, params), *params, exact_up_to + 1],
        )
        counted, estimate = cursor.fetchone()
    if estimate is None:
        return counted, False
    return max(estimate, counted), True  # more than exact_up_to: the count proved that much


class EstimatingPaginator(Paginator):
    """Django's paginator, counting as `count_or_estimate` does on PostgreSQL; `estimated` tells which it did."""

    exact_up_to = 10_000
    estimated = False
    served_number: int | None = None  # the page page() gave, when it was not the one asked for

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or connections[queryset.db].vendor != "postgresql":
            return super().count
        count, self.estimated = count_or_estimate(queryset, self.exact_up_to)
        return count

    def page(self, number):
        """A page, numbered from the estimate, until the end of the list comes in sight: a page at or past the
        estimated last one, or one that comes back short. There the list is counted exactly (once, COUNT(*)), so
        that the last page is the real last page; a number past the end gives that last page."""
        if not (self.count and self.estimated):  # (counting first tells whether it is an estimate)
            return super().page(number)
        try:
            number = max(1, int(number))
        except (TypeError, ValueError):
            return super().page(number)  # which says what is wrong with it
        if number < self.num_pages:
            page = super().page(number)
            page.object_list = list(page.object_list)  # the query the list runs anyway
            if len(page.object_list) == self.per_page:
                return page
        self.count, self.estimated = self.object_list.count(), False
        self.__dict__.pop("num_pages", None)
        if number > self.num_pages:
            number = self.served_number = max(1, self.num_pages)
        return super().page(number)


class EstimatingChangeList(ChangeList):
    """The admin's list, with what the paginator learned while giving the page: the count it ended on, the page
    number it served, and `about_count`, the estimate as the list shows it ("70 000"), empty for an exact count."""

    def get_results(self, request):
        super().get_results(request)
        self.result_count = self.paginator.count
        self.page_num = getattr(self.paginator, "served_number", None) or self.page_num

    @property
    def about_count(self) -> str:
        if not getattr(self.paginator, "estimated", False):
            return ""
        count = self.result_count
        rounded = round(count, 2 - len(str(count)))  # two significant digits: 69 993 → 70 000
        return formats.number_format(rounded, force_grouping=True)
