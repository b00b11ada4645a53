"""Logto's `search` query parameters as an SQL condition.

`search`, `search.<field>`, `mode`, `mode.<field>`, `joint`/`jointMode` and `isCaseSensitive`,
for the `like` and `exact` match modes; the caller names the columns a search may reach.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Boolean, ColumnElement, and_, func, literal, or_, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from hookline.errors import invalid_request

_YES = {"1", "true", "y", "yes", "yep", "yeah"}


def search_condition(params: Iterable[tuple[str, str]], columns: dict) -> ColumnElement[bool]:
    """The SQL condition for the query's search parameters (true when there are none)."""
    modes: dict[str | None, str] = {}
    values: dict[str | None, list[str]] = {}
    joint, case_sensitive = "or", False
    for key, value in params:
        if key in ("joint", "jointMode"):
            joint = value or "or"
        elif key == "isCaseSensitive":
            case_sensitive = value.lower() in _YES
        elif key.startswith("mode"):
            modes[_search_field(key, columns)] = value
        elif key.startswith("search"):
            values.setdefault(_search_field(key, columns), []).append(value)
    if joint not in ("and", "or"):
        raise invalid_request(
            400, f"Search joint mode `{joint}` is not valid, expect one of and, or."
        )
    conditions = []
    for field, given in values.items():
        mode = modes.get(field) or modes.get(None) or "like"
        if mode not in ("like", "exact"):
            raise invalid_request(
                400, f"Search match mode `{mode}` is not valid, expect one of exact, like."
            )
        if not all(given):
            raise invalid_request(400, "Search value cannot be empty.")
        if mode == "like" and len(given) > 1:
            raise invalid_request(
                400, "Only one search value is allowed when search mode is not `exact`."
            )
        targets = [columns[field]] if field else list(columns.values())
        conditions.append(or_(*(_match(c, mode, given, case_sensitive) for c in targets)))
    if not conditions:
        return true()
    return and_(*conditions) if joint == "and" else or_(*conditions)


def _search_field(key: str, columns: dict) -> str | None:
    path = key.split(".")
    if len(path) > 2:
        raise invalid_request(
            400,
            f"Unsupported nested search field path `{'.'.join(path[1:])}` detected."
            " Only the first level field is supported.",
        )
    if len(path) == 1:
        return None
    field = re.sub(r"(?<!^)(?=[A-Z])", "_", path[1]).lower()
    if field not in columns:
        raise invalid_request(
            400, f"Search field `{field}` is not valid, expect one of {', '.join(columns)}."
        )
    return field


def _match(column: Any, mode: str, values: list[str], case_sensitive: bool) -> ColumnElement:
    if mode == "exact":
        if case_sensitive:
            return column.in_(values)
        return func.lower(column).in_([v.lower() for v in values])
    if case_sensitive:
        return _LikeExactly(column, literal(values[0]), literal(_like_to_glob(values[0])))
    return column.ilike(values[0], escape="\\")


class _LikeExactly(FunctionElement[bool]):
    """A case-sensitive LIKE: PostgreSQL's own LIKE, SQLite's GLOB (its LIKE ignores case).
    Arguments: the column, the LIKE pattern, the same pattern as a GLOB."""

    type = Boolean()
    name = "like_exactly"
    inherit_cache = True


@compiles(_LikeExactly)
def _like_exactly(element: _LikeExactly, compiler: Any, **kw: Any) -> str:
    column, pattern, _ = element.clauses
    return f"{compiler.process(column, **kw)} LIKE {compiler.process(pattern, **kw)} ESCAPE '\\'"


@compiles(_LikeExactly, "sqlite")
def _glob(element: _LikeExactly, compiler: Any, **kw: Any) -> str:
    column, _, glob = element.clauses
    return f"{compiler.process(column, **kw)} GLOB {compiler.process(glob, **kw)}"


def _like_to_glob(pattern: str) -> str:
    """A PostgreSQL LIKE pattern (`%`, `_`, backslash escapes) as an SQLite GLOB."""
    out, chars = [], iter(pattern)
    specials = {"*": "[*]", "?": "[?]", "[": "[[]"}
    for ch in chars:
        if ch == "\\":
            ch = next(chars, "\\")
            out.append(specials.get(ch, ch))
        elif ch == "%":
            out.append("*")
        elif ch == "_":
            out.append("?")
        else:
            out.append(specials.get(ch, ch))
    return "".join(out)
