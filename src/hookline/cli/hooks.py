"""`hookline hooks …`: the hooks of a running server, through its Management API."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from hookline.cli.client import AsJson, Client, ClientError, Server
from hookline.cli.output import fields, handled, print_json, shown, table, when

app = typer.Typer(help="Manage the hooks of a running server.", no_args_is_help=True)

Events = Annotated[
    list[str] | None,
    typer.Option("--event", "-e", help="An event to subscribe to (repeat for more)."),
]
Headers = Annotated[
    list[str] | None,
    typer.Option("--header", "-H", help="A custom header as `Name: value` (repeat for more)."),
]
Asymmetric = Annotated[
    bool | None,
    typer.Option(
        "--asymmetric-signature/--no-asymmetric-signature",
        help="Sign with Ed25519 too (v1a), its public keys at /api/hooks/ID/jwks.",
    ),
]


@app.command("list")
@handled
def list_hooks(server: Server = None, as_json: AsJson = False) -> None:
    """Every hook, newest first, with its requests and success rate of the last 24 hours."""
    with Client.connect(server) as client:
        hooks = client.get("/hooks", includeExecutionStats="true")
    if as_json:
        return print_json(hooks)
    table(
        ("id", "name", "events", "url", "24 h requests", "success"),
        [
            (
                hook["id"],
                hook["name"] + ("" if hook["enabled"] else " (not in use)"),
                ", ".join(_events(hook)),
                hook["config"]["url"],
                hook["executionStats"]["requestCount"],
                _rate(hook["executionStats"]),
            )
            for hook in hooks
        ],
        caption=shown(len(hooks), len(hooks), "hook", "hooks"),
    )


@app.command()
@handled
def show(hook_id: str, server: Server = None, as_json: AsJson = False) -> None:
    """One hook, its signing key included."""
    with Client.connect(server) as client:
        hook = client.get(f"/hooks/{hook_id}", includeExecutionStats="true")
    if as_json:
        return print_json(hook)
    _print(hook)


@app.command()
@handled
def create(
    url: Annotated[str, typer.Option(help="Where to send the webhooks.")],
    event: Events = None,
    name: Annotated[str | None, typer.Option(help="A name for people.")] = None,
    header: Headers = None,
    retries: Annotated[int | None, typer.Option(min=0, max=3)] = None,
    asymmetric_signature: Asymmetric = None,
    sync: Annotated[
        bool, typer.Option("--sync", help="A synchronous hook, asked at Pre… events.")
    ] = False,
    timeout_ms: Annotated[
        int | None, typer.Option(min=1, max=10_000, help="A sync hook's deadline.")
    ] = None,
    on_error: Annotated[
        str | None, typer.Option(help="A sync hook's decision without an answer: deny, allow.")
    ] = None,
    server: Server = None,
    as_json: AsJson = False,
) -> None:
    """Create a hook; it prints the hook with its new signing key."""
    body: dict[str, Any] = {"events": event or [], "config": {"url": url}}
    if name:
        body["name"] = name
    config = body["config"]
    if header:
        config["headers"] = _headers(header)
    if retries is not None:
        config["retries"] = retries
    if asymmetric_signature is not None:
        config["asymmetricSignature"] = asymmetric_signature
    if sync:
        config["mode"] = "sync"
    if timeout_ms is not None:
        config["timeoutMs"] = timeout_ms
    if on_error is not None:
        config["onError"] = on_error
    with Client.connect(server) as client:
        hook = client.call("POST", "/hooks", json=body)
    if as_json:
        return print_json(hook)
    _print(hook)


@app.command()
@handled
def update(
    hook_id: str,
    url: Annotated[str | None, typer.Option(help="A new address.")] = None,
    event: Events = None,
    name: Annotated[str | None, typer.Option()] = None,
    header: Headers = None,
    retries: Annotated[int | None, typer.Option(min=0, max=3)] = None,
    enabled: Annotated[
        bool | None, typer.Option("--enable/--disable", help="Deliver to it, or stop.")
    ] = None,
    asymmetric_signature: Asymmetric = None,
    server: Server = None,
    as_json: AsJson = False,
) -> None:
    """Change a hook; what is not given stays as it is (headers given replace all headers)."""
    with Client.connect(server) as client:
        change: dict[str, Any] = {}
        if name is not None:
            change["name"] = name
        if event:
            change["events"] = event
        if enabled is not None:
            change["enabled"] = enabled
        config_changes = (url, header, retries, asymmetric_signature)
        if any(change is not None for change in config_changes):
            # The API replaces `config` whole: start from the stored one.
            config = dict(client.get(f"/hooks/{hook_id}")["config"])
            if url is not None:
                config["url"] = url
            if header is not None:
                config["headers"] = _headers(header)
            if retries is not None:
                config["retries"] = retries
            if asymmetric_signature is not None:
                config["asymmetricSignature"] = asymmetric_signature
            change["config"] = config
        if not change:
            raise ClientError(
                "nothing to change: give --url, --event, --name, --header, --retries,"
                " --enable, --disable or --[no-]asymmetric-signature",
                2,
            )
        hook = client.call("PATCH", f"/hooks/{hook_id}", json=change)
    if as_json:
        return print_json(hook)
    _print(hook)


@app.command()
@handled
def delete(
    hook_id: str,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    server: Server = None,
) -> None:
    """Delete a hook (its delivery logs stay)."""
    if not yes:
        typer.confirm(f"Delete hook {hook_id}?", abort=True)
    with Client.connect(server) as client:
        client.call("DELETE", f"/hooks/{hook_id}")
    typer.echo(f"deleted {hook_id}")


@app.command()
@handled
def test(
    hook_id: str,
    event: Events = None,
    url: Annotated[str | None, typer.Option(help="Send there instead of the hook's URL.")] = None,
    server: Server = None,
) -> None:
    """Send the hook a test payload per event (default: its events), signed with its key."""
    with Client.connect(server) as client:
        hook = client.get(f"/hooks/{hook_id}")
        events = event or _events(hook)
        config = {**hook["config"], "url": url or hook["config"]["url"]}
        answer = client.call(
            "POST", f"/hooks/{hook_id}/test", json={"events": events, "config": config}
        )
    if isinstance(answer, list):  # a synchronous hook's dry run: what it decided
        for result in answer:
            decision = result["decision"]
            code = f", {decision['code']}" if decision.get("code") else ""
            typer.echo(
                f"{result['event']}: {decision['action']} ({decision['reason']}{code})"
                f" in {result['durationMs']:.0f} ms"
            )
        return
    typer.echo(f"sent {', '.join(events)} to {config['url']}: answered 2xx")


@app.command()
@handled
def logs(
    hook_id: str,
    page_size: Annotated[int, typer.Option("--limit", min=1, max=100)] = 20,
    server: Server = None,
    as_json: AsJson = False,
) -> None:
    """The hook's latest delivery attempts (the last 24 hours)."""
    with Client.connect(server) as client:
        entries, total = client.list(f"/hooks/{hook_id}/recent-logs", page_size=page_size)
    if as_json:
        return print_json(entries)
    table(
        ("time", "event", "result", "status", "ms", "attempt", "delivery", "error"),
        [
            (
                when(entry["createdAt"]),
                entry["payload"].get("hookRequest", {}).get("body", {}).get("event"),
                entry["payload"]["result"],
                entry["payload"].get("response", {}).get("statusCode"),
                entry["payload"].get("durationMs"),
                entry["payload"].get("attempt"),
                entry["payload"].get("deliveryId"),
                entry["payload"].get("error"),
            )
            for entry in entries
        ],
        caption=shown(total, len(entries), "attempt in 24 h", "attempts in 24 h"),
    )


def _print(hook: dict[str, Any]) -> None:
    stats = hook.get("executionStats")
    fields(
        [
            ("id", hook["id"]),
            ("name", hook["name"]),
            ("enabled", "yes" if hook["enabled"] else "no (not in use)"),
            ("url", hook["config"]["url"]),
            ("events", ", ".join(_events(hook))),
            ("headers", ", ".join(hook["config"].get("headers") or {}) or None),
            ("signing key", hook["signingKey"]),
            ("public key", _public_key(hook)),
            ("created", when(hook["createdAt"])),
            *(
                [("last 24 h", f"{stats['requestCount']} requests, {_rate(stats)} succeeded")]
                if stats
                else []
            ),
        ]
    )


def _public_key(hook: dict[str, Any]) -> str | None:
    """The Ed25519 public key, and whether it signs (`v1a`) now."""
    key = hook.get("signingPublicKey")
    if key is None:
        return None
    signing = hook["config"].get("asymmetricSignature") is True
    return key + ("" if signing else " (not signing: asymmetric signature off)")


def _events(hook: dict[str, Any]) -> list[str]:
    return hook["events"] or ([hook["event"]] if hook.get("event") else [])


def _rate(stats: dict[str, int]) -> str:
    if not stats["requestCount"]:
        return "–"
    return f"{100 * stats['successCount'] / stats['requestCount']:.1f} %"


def _headers(pairs: list[str]) -> dict[str, str]:
    headers = {}
    for pair in pairs:
        name, colon, value = pair.partition(":")
        if not colon or not name.strip():
            raise ClientError(f"--header {pair!r}: write it as `Name: value`", 2)
        headers[name.strip()] = value.strip()
    return headers
