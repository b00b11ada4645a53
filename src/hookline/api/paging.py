"""Logto's paging: `page` and `page_size` in, `Total-Number` and `Link` out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, NamedTuple
from urllib.parse import quote

from fastapi import Depends, Request

from hookline.api.deps import query_int
from hookline.api.responses import JSON
from hookline.errors import invalid_query


class Page(NamedTuple):
    number: int
    size: int


def page_params(page: str | None, page_size: str | None, required: bool) -> Page | None:
    """The page asked for; None when paging is optional and neither parameter is given."""
    if not required and page is None and page_size is None:
        return None
    try:
        number = query_int(page) if page is not None else 1
        size = query_int(page_size) if page_size is not None else 20
    except ValueError as exc:
        raise invalid_query("page and page_size must be integers") from exc
    if not 1 <= number <= 2**31 or not 1 <= size <= 100:
        raise invalid_query("page must be between 1 and 2³¹ and page_size between 1 and 100")
    return Page(number, size)


async def _always(page: str | None = None, page_size: str | None = None) -> Page:
    paging = page_params(page, page_size, required=True)
    assert paging is not None
    return paging


async def _when_asked(page: str | None = None, page_size: str | None = None) -> Page | None:
    return page_params(page, page_size, required=False)


# A list that is always paginated (20 a page unless told), and one paginated only when asked.
# The dependencies are coroutines: FastAPI would run plain functions in its thread pool.
Paged = Annotated[Page, Depends(_always)]
MaybePaged = Annotated[Page | None, Depends(_when_asked)]


def paged(request: Request, items: Sequence[Any], total: int, page: Page | None) -> JSON:
    """A JSON array, with the paging headers when the list was paginated."""
    headers = pagination_headers(request, page, total) if page is not None else None
    return JSON(list(items), headers=headers)


def pagination_headers(request: Request, page: Page, total: int) -> dict[str, str]:
    """`Total-Number` and a `Link` header with first/prev/next/last, as Logto sends them."""
    last = max(1, -(-total // page.size))
    # The path as sent, still percent-encoded: decoded, an id in it may hold characters a
    # header cannot (non-Latin-1 text, say).
    raw = request.scope.get("raw_path")
    url = request.url.replace(path=raw.decode("latin-1") if raw else quote(request.url.path))

    def link(number: int, rel: str) -> str:
        return f'<{url.include_query_params(page=number)}>; rel="{rel}"'

    links = [link(1, "first")]
    if page.number > 1:
        links.append(link(min(page.number - 1, last), "prev"))
    links.append(link(last, "last"))
    if page.number < last:
        links.append(link(page.number + 1, "next"))
    return {"Total-Number": str(total), "Link": ", ".join(links)}
