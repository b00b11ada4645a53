"""The inbox behind a Django view: verify, store, answer 204. In urls.py:
`path("hook", webhook_view(inbox, secrets=[…]))`. Django is imported only when a request
comes, so this module loads without it."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from hookline_receiver.answer import NOT_POST, answer, check_options
from hookline_receiver.inbox import Inbox


def webhook_view(inbox: Inbox, **options: Any) -> Callable[[Any], Any]:
    """A view that stores in `inbox` each POST that `verify(headers, body, **options)`
    accepts (`secrets=[…]`, `public_keys=[…]`, `jwks=URL`, …; Logto's signature alone
    only with `allow_logto=True`). It reads `request.method`, `request.headers` and
    `request.body`; it is exempt from CSRF checks, since the signature proves the sender."""
    check_options(options)

    def view(request: Any) -> Any:
        if request.method != "POST":
            result = NOT_POST
        else:
            result = answer(inbox, request.headers, request.body, options)
        http = importlib.import_module("django.http")  # a module of Django's, not this one
        response = http.HttpResponse(result.body, status=result.status)
        for name, value in result.headers.items():
            response[name] = value
        return response

    view.csrf_exempt = True  # type: ignore[attr-defined]  # what Django's csrf_exempt sets
    return view
