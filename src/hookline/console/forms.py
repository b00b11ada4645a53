"""The hook form, as the page shows it and as it is posted, checked by the same models the
Management API checks its bodies with (hooks.validation)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from hookline.errors import ApiError
from hookline.hooks.validation import HookConfig, check_sync


class FormErrors(Exception):
    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass
class HookForm:
    name: str = ""
    url: str = ""
    events: list[str] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    retries: str = ""  # "" for the server's schedule
    ordering: bool = False
    rate_limit: str = ""
    asymmetric: bool = False  # `v1a` Ed25519 signatures too
    # A synchronous hook's ("sync"; "" for asynchronous) call: its deadline ("" for the
    # default), what a call without a readable answer decides, and whether answers are signed.
    mode: str = ""
    timeout_ms: str = ""
    on_error: str = "deny"
    require_signed: bool = False
    # What the form does not show (options set over the API), kept on save.
    rest: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of_hook(cls, hook: dict[str, Any]) -> HookForm:
        config = dict(hook["config"])
        retries = config.pop("retries", None)
        rate = config.pop("rateLimit", None)
        asymmetric = config.pop("asymmetricSignature", None)
        timeout = config.pop("timeoutMs", None)
        return cls(
            name=hook["name"],
            url=config.pop("url", ""),
            events=list(hook["events"] or ([hook["event"]] if hook.get("event") else [])),
            headers=list((config.pop("headers", None) or {}).items()),
            retries="" if retries is None else str(retries),
            ordering=config.pop("ordering", None) == "subject",
            rate_limit="" if rate is None else str(rate),
            asymmetric=asymmetric is True,
            mode=config.pop("mode", None) or "",
            timeout_ms="" if timeout is None else str(timeout),
            on_error=config.pop("onError", None) or "deny",
            require_signed=config.pop("requireSignedAnswer", None) is True,
            rest=config,
        )

    @classmethod
    def posted(cls, form: FormData, rest: dict[str, Any] | None = None) -> HookForm:
        names = [str(v).strip() for v in form.getlist("header_name")]
        values = [str(v) for v in form.getlist("header_value")]
        return cls(
            name=str(form.get("name", "")).strip(),
            url=str(form.get("url", "")).strip(),
            events=[str(v) for v in form.getlist("events")],
            # Empty rows are dropped, as Logto's console drops them.
            headers=[(n, v) for n, v in zip(names, values, strict=False) if n or v],
            retries=str(form.get("retries", "")),
            ordering=form.get("ordering") == "subject",
            rate_limit=str(form.get("rate_limit", "")).strip(),
            asymmetric=form.get("asymmetric") == "on",
            mode=str(form.get("mode", "")),
            timeout_ms=str(form.get("timeout_ms", "")).strip(),
            on_error=str(form.get("on_error", "deny")),
            require_signed=form.get("require_signed") == "on",
            rest=dict(rest or {}),
        )

    def config(self) -> dict[str, Any]:
        """The config to store; raises FormErrors naming what is wrong."""
        problems = []
        names = [name for name, _ in self.headers]
        if any(not name or not value for name, value in self.headers):
            problems.append("Custom headers: each row needs a name and a value.")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            problems.append(f"Custom headers: {', '.join(duplicates)} given more than once.")
        config: dict[str, Any] = {**self.rest, "url": self.url}
        if self.headers:
            config["headers"] = dict(self.headers)
        if self.retries:
            config["retries"] = _number(self.retries, "Retries", problems)
        if self.ordering:
            config["ordering"] = "subject"
        if self.rate_limit:
            config["rateLimit"] = _number(self.rate_limit, "Rate limit", problems)
        if self.asymmetric:
            config["asymmetricSignature"] = True
        if self.mode:
            # The call's options only for a synchronous hook: an asynchronous one drops them.
            config |= {"mode": self.mode, "onError": self.on_error}
            if self.timeout_ms:
                config["timeoutMs"] = _number(self.timeout_ms, "Timeout", problems)
            if self.require_signed:
                config["requireSignedAnswer"] = True
        try:
            valid = checked(HookConfig, config)
        except FormErrors as errors:
            problems.extend(errors.messages)
        if problems:
            raise FormErrors(problems)
        return valid.stored()

    def body(self, model: type[BaseModel], named: bool = True) -> Any:
        """The form as a request body of `model`; raises FormErrors naming every problem."""
        values: dict[str, Any] = {"name": self.name} if named else {}
        problems = []
        for name, part in (("events", self.checked_events), ("config", self.config)):
            try:
                values[name] = part()
            except FormErrors as errors:
                problems.extend(errors.messages)
        if problems:
            raise FormErrors(problems)
        try:
            # The service's own rule, checked here to be shown with the form's other problems.
            check_sync(values["events"], None, values["config"])
        except ApiError as error:
            raise FormErrors([f"Mode: {error.message}"]) from None
        return checked(model, values)

    def checked_events(self) -> list[str]:
        if not self.events:
            raise FormErrors(["You have to select at least one event."])
        return self.events


def _number(text: str, label: str, problems: list[str]) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            problems.append(f"{label}: {text!r} is not a number.")
            return None


_LABELS = {
    "name": "Name",
    "events": "Events",
    "url": "Endpoint URL",
    "headers": "Custom headers",
    "retries": "Retries",
    "rateLimit": "Rate limit",
    "mode": "Mode",
    "timeoutMs": "Timeout",
    "onError": "On error",
}


def checked(model: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise FormErrors(
            [
                f"{_LABELS.get(str(e['loc'][0]) if e['loc'] else '', 'Config')}:"
                f" {e['msg'].removeprefix('Value error, ')}"
                for e in error.errors()
            ]
        ) from None
