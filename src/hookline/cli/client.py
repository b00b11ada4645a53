"""The command line as a client of a running server: where it is, who we are, and the
Management API's answers turned into values or one readable line."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    # Imported when a client command runs: `serve` and `worker` start without it.
    import httpx

DEFAULT_SERVER = "http://127.0.0.1:3001"
RESOURCE = "https://default.logto.app/api"

Server = Annotated[
    str | None,
    typer.Option(
        "--server",
        envvar="HOOKLINE_URL",
        show_envvar=True,
        help=f"The server's address. Default: the config file's `server`, or {DEFAULT_SERVER}.",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of a table.")]


class ClientError(Exception):
    """What went wrong, in one line for the terminal."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def config_path() -> Path:
    explicit = os.environ.get("HOOKLINE_CLIENT_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "hookline" / "client.toml"


@dataclass(frozen=True)
class Credentials:
    server: str
    client_id: str
    client_secret: str

    @classmethod
    def find(cls, server: str | None) -> Credentials:
        """The flag or environment first, then the config file (`server`, `client_id`,
        `client_secret`), then the defaults."""
        path = config_path()
        stored: dict[str, Any] = {}
        if path.is_file():
            try:
                stored = tomllib.loads(path.read_text())
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ClientError(f"cannot read {path}: {exc}", 2) from None
        client_id = os.environ.get("HOOKLINE_ADMIN_CLIENT_ID") or stored.get("client_id")
        secret = os.environ.get("HOOKLINE_ADMIN_CLIENT_SECRET") or stored.get("client_secret")
        if not client_id or not secret:
            raise ClientError(
                "no credentials: set HOOKLINE_ADMIN_CLIENT_ID and HOOKLINE_ADMIN_CLIENT_SECRET"
                f" (printed by `hookline serve` on its first start), or write client_id and"
                f" client_secret to {path}",
                2,
            )
        address = server or stored.get("server") or DEFAULT_SERVER
        return cls(str(address).rstrip("/"), str(client_id), str(secret))


class Client:
    """One token per command; every call answers the decoded JSON or raises ClientError."""

    def __init__(self, credentials: Credentials, timeout: float = 30.0) -> None:
        import httpx

        self.credentials = credentials
        self._http = httpx.Client(base_url=credentials.server, timeout=timeout)
        self._token: str | None = None

    @classmethod
    def connect(cls, server: str | None) -> Client:
        return cls(Credentials.find(server))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params=_present(params))

    def list(self, path: str, **params: Any) -> tuple[list[Any], int]:
        """A list route's items and its `Total-Number`."""
        response = self._send("GET", path, params=_present(params))
        items = response.json()
        return items, int(response.headers.get("total-number", len(items)))

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, **kwargs)
        return response.json() if response.content else None

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token()}"}
        response = self._request(method, "/api" + path, headers=headers, **kwargs)
        if response.is_error:
            raise ClientError(_api_error(response))
        return response

    def token(self) -> str:
        if self._token is None:
            response = self._request(
                "POST",
                "/oidc/token",
                data={"grant_type": "client_credentials", "resource": RESOURCE, "scope": "all"},
                auth=(self.credentials.client_id, self.credentials.client_secret),
            )
            if response.is_error:
                raise ClientError(f"sign-in refused: {_api_error(response)}", 2)
            self._token = response.json()["access_token"]
        return self._token

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        import httpx

        try:
            return self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise ClientError(f"{self.credentials.server} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise ClientError(f"cannot reach {self.credentials.server}: {exc}") from None


def _api_error(response: httpx.Response) -> str:
    """`404 hook.not_found: …`, from Logto's `{code, message}` body when there is one."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "message" in body:
        line = f"{response.status_code} {body.get('code', '')}: {body['message']}"
        details = body.get("details")
        if details and details not in line:
            line += f" ({' '.join(str(details).split())})"
        return line
    return f"{response.status_code} {response.reason_phrase}"


def _present(params: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in params.items() if value is not None}
