"""The example's pages never answer 500 to a hostile query string."""

from __future__ import annotations

import pytest

from faults.production_server import ask

pytestmark = [pytest.mark.slow, pytest.mark.faults]

PAGES = ["/", "/search/", "/admin/login/", "/admin/", "/admin/catalog/item/"]
QUERIES = [
    "q=%00",
    "q=a%00b",
    "q=%00%00%00%00",
    "q=%C0%80",  # an overlong NUL
    "q=%ff%fe",
    "q=%ed%a0%80",  # an encoded lone surrogate
    "q=%F0%9F%92%A9",
    "q=%01%02%1b%7f",
    "q=%0d%0aSet-Cookie:%20x=1",
    "q=%",
    "q=%%",
    "q=%u0000",
    "q=%2500",
    "q=%27%20OR%201=1--",
    "q=%5C",
    "q=" + "a" * 3000,
    "q=" + "%E2%80%AE" * 300,
    "q=1&q=2&q[]=3",
    "q",
    "=",
    "&&&",
    "next=%00",
    "next=//evil.example/",
    "next=javascript:alert(1)",
    "o=%00&p=-1&all=&e=1",
    "p=999999999999999999999",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("page", PAGES)
def test_no_page_answers_500(site, page, query):
    answer = ask(site.server, "GET", f"{page}?{query}")
    assert answer.status < 500, (page, query, answer.status)


def test_a_nul_in_the_search_is_ignored_not_refused(site):
    answer = ask(site.server, "GET", "/search/?q=caf%00e")
    assert answer.status == 200
    assert b"cafe" in answer.body  # the search ran on what remains
