"""The agent's ``trails.verify.fetch.Fetcher``: plain GETs from the mirror.

Imported only when there is a release to verify (it loads the verification core)."""

from __future__ import annotations

from collections.abc import Callable

from trails.agent.http import NotModified, ResponseTooLarge, Transport
from trails.errors import TransportError
from trails.verify.fetch import TooLarge


class HttpFetcher:
    """Each file of the release at ``url(name)``, at most the length asked for."""

    def __init__(self, transport: Transport, url: Callable[[str], str]) -> None:
        self.transport = transport
        self.url = url

    def fetch(self, name: str, max_bytes: int) -> bytes:
        url = self.url(name)
        try:
            response = self.transport.get(url, max_bytes=max_bytes)
        except ResponseTooLarge as exc:
            # More than the envelope cap or the signed size: an attack, not bad luck.
            raise TooLarge(str(exc), exc.size) from None
        if isinstance(response, NotModified):  # no validators were sent
            raise TransportError(f"{url}: 304 to a plain GET; fix the server")
        return response.body
