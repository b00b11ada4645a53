"""The one place that touches the network: aiohttp in, `Outcome` out."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from email.utils import parsedate_to_datetime

import aiohttp
from yarl import URL

from hookline.sender.guard import BlockedAddress, GuardedResolver, Network, check_literal
from hookline.sender.outcome import Failure, Outcome
from hookline.sender.request import WebhookRequest

log = logging.getLogger("hookline.sender")

# Stored response bodies are cut here; the rest is not even read.
MAX_RESPONSE_BYTES = 20_000
# Not aiohttp's own, for a request that does not name its client.
_NO_USER_AGENT = ("User-Agent",)


class Transport:
    """A pooled aiohttp session: 10 s timeout, no redirects, SSRF-guarded."""

    def __init__(self, allowed: Sequence[Network], timeout: float = 10.0, limit: int = 512) -> None:
        self._allowed = list(allowed)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._timeout_s = timeout
        self._limit = limit
        self._session: aiohttp.ClientSession | None = None
        self._urls: dict[str, URL] = {}

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._limit, ttl_dns_cache=10, resolver=GuardedResolver(self._allowed)
        )
        return aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout,
            auto_decompress=True,
            # A receiver's cookies are not sent back: a delivery carries nothing of another.
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _checked_url(self, raw: str) -> URL:
        """Parse and guard a URL once; hooks send to the same few URLs over and over."""
        url = self._urls.get(raw)
        if url is None:
            url = URL(raw)
            if url.scheme not in ("http", "https") or not url.host:
                raise ValueError(f"Failed to parse URL from {raw}")
            check_literal(url.host, self._allowed)
            if len(self._urls) > 10_000:
                self._urls.clear()
            self._urls[raw] = url
        return url

    async def send(self, request: WebhookRequest, answer_headers: tuple[str, ...] = ()) -> Outcome:
        """POST `request`; `answer_headers` (lower-case names) are kept in the outcome."""
        if self._session is None:
            self._session = self._open()
        started = time.perf_counter()
        try:
            url = self._checked_url(request.url)
            # Webhooks carry their own user-agent (sender.request): a list of headers to skip
            # would cost a copy of the headers per request.
            skip = None if "user-agent" in request.headers else _NO_USER_AGENT
            async with self._session.post(
                url,
                data=request.body,
                headers=request.headers,
                allow_redirects=False,
                skip_auto_headers=skip,
            ) as response:
                text = (await _read_capped(response)).decode("utf-8", "replace")
                status = response.status
                duration = (time.perf_counter() - started) * 1000
                if 200 <= status < 300:
                    kept = {n: response.headers[n] for n in answer_headers if n in response.headers}
                    return Outcome(status, text, duration, headers=kept or None)
                return Outcome(
                    status,
                    text,
                    duration,
                    Failure.HTTP_STATUS,
                    f"Request failed with status code {status} {response.reason or ''}".strip(),
                    _retry_after(response.headers.get("retry-after")),
                )
        except BlockedAddress as exc:
            _log_blocked(request.hook_id, exc)
            return _failed(started, Failure.BLOCKED, str(exc))
        except aiohttp.ClientConnectorDNSError as exc:
            if isinstance(exc.os_error, BlockedAddress):
                _log_blocked(request.hook_id, exc.os_error)
                return _failed(started, Failure.BLOCKED, str(exc.os_error))
            return _failed(started, Failure.CONNECT, str(exc.os_error or exc))
        except TimeoutError:
            message = f"Request timed out after {int(self._timeout_s * 1000)} ms"
            return _failed(started, Failure.TIMEOUT, message)
        except (ValueError, aiohttp.InvalidURL) as exc:
            return _failed(started, Failure.INVALID_URL, str(exc))
        except (aiohttp.ClientError, OSError) as exc:
            return _failed(started, Failure.CONNECT, str(exc) or type(exc).__name__)


def _log_blocked(hook_id: str, blocked: BlockedAddress) -> None:
    """Tell the operator what the guard refused. Only the host: the URL's query and user
    info may carry a token, and the headers and signing key are secrets."""
    log.warning(
        "webhook address refused by the SSRF guard",
        extra={
            "action": "address_refused",
            "hook_id": hook_id,
            "host": blocked.host,
            "refused": ", ".join(f"{address} ({why})" for address, why in blocked.refused),
        },
    )


def _failed(started: float, failure: Failure, message: str) -> Outcome:
    """An attempt that got no HTTP answer."""
    return Outcome(None, None, (time.perf_counter() - started) * 1000, failure, message)


async def _read_capped(response: aiohttp.ClientResponse) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < MAX_RESPONSE_BYTES:
        chunk = await response.content.read(MAX_RESPONSE_BYTES - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
