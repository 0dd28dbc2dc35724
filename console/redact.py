"""Secret redaction used wherever a record leaves memory (journal, cURL, HAR, exports).

What counts as a secret: the value of credential headers (``Authorization``,
``Proxy-Authorization``, cookies, API-key headers — the auth *scheme* is kept so a reader
still sees "Basic"), the password of URL userinfo, password-like query parameters, and the
password field of SMPP bind PDUs (:func:`redact_bind`, same length so the PDU stays valid).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"

SECRET_HEADERS = frozenset({
    "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key",
    "x-auth-token",
})
SECRET_PARAMS = frozenset({
    "password", "passwd", "pass", "pwd", "secret", "token", "api_key", "apikey", "access_token",
})

# "Basic xxx" / "Bearer xxx" / "App xxx" inside free text (cURL lines, error messages)
_AUTH_IN_TEXT = re.compile(r"(?i)\b(authorization:\s*)(basic|bearer|app|digest)\s+[^\s'\"]+")


def is_secret_header(name: str) -> bool:
    """True for headers whose value is a credential."""
    return name.strip().lower() in SECRET_HEADERS


def redact_header_value(name: str, value: str) -> str:
    """The value to show for header ``name``: credentials masked, the auth scheme kept."""
    if not is_secret_header(name):
        return value
    scheme, sep, rest = value.strip().partition(" ")
    if name.lower() in ("authorization", "proxy-authorization") and sep and rest:
        return f"{scheme} {MASK}"
    return MASK


def redact_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """A copy of ``headers`` (name, value pairs, order kept) with credentials masked."""
    return [(k, redact_header_value(k, v)) for k, v in headers]


def redact_url(url: str) -> str:
    """``url`` with the userinfo password and password-like query values masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{host}" if colon else f"{user}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(k.lower() in SECRET_PARAMS for k, _ in pairs):
            query = urlencode([(k, MASK if k.lower() in SECRET_PARAMS else v) for k, v in pairs],
                              safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_query(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Query pairs with password-like values masked."""
    return [(k, MASK if k.lower() in SECRET_PARAMS else v) for k, v in pairs]


def redact_text(text: str) -> str:
    """Mask ``Authorization: Basic …`` style credentials inside free text."""
    return _AUTH_IN_TEXT.sub(lambda m: f"{m.group(1)}{m.group(2)} {MASK}", text)


def redact_bind(raw: bytes) -> bytes:
    """Mask the password of an SMPP bind request (same length); other PDUs unchanged."""
    from console.smpp.events import redact_password

    return redact_password(raw)
