"""Text handling at submission: transliteration, URL shortening, encoding and part count.

Encoding and counting are ``console.encoding``'s; this module only adapts the API's
``language`` object to it.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Any

from console import encoding, gsm7
from console.encoding import TRANSLITERATIONS

__all__ = ["LANGUAGE_CODES", "SHORT_URL_HOST", "TRANSLITERATIONS", "measure", "short_url",
           "shorten_urls", "transliterate"]

#: The ``languageCode`` values with national shift tables (TR, ES, PT).
LANGUAGE_CODES: tuple[str, ...] = tuple(code for code in gsm7.languages() if code)
SHORT_URL_HOST = "http://eel.nu/"
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def transliterate(text: str, kind: str | None) -> str:
    """Apply the API's ``transliteration`` (TURKISH, GREEK, … NON_UNICODE) to ``text``."""
    return encoding.transliterate(text, kind) if kind else text


def short_url(message_id: str, url: str) -> str:
    """A unique 25-character short link for ``url`` in message ``message_id``."""
    digest = hashlib.sha256(f"{message_id}\0{url}".encode()).digest()
    code = "".join(_ALNUM[b % len(_ALNUM)] for b in digest[:10])
    return f"{SHORT_URL_HOST}{code[:4]}/{code[4:10]}"


def shorten_urls(text: str, message_id: str) -> tuple[str, list[dict[str, str]]]:
    """Replace every http(s) link with its short form; returns the text and the mapping."""
    links: list[dict[str, str]] = []

    def repl(m: re.Match[str]) -> str:
        short = short_url(message_id, m.group(0))
        links.append({"url": m.group(0), "shortUrl": short})
        return short

    return _URL.sub(repl, text), links


def measure(text: str, language: dict[str, Any] | None = None) -> tuple[str, int, int]:
    """(encoding label, data_coding, smsCount) as the platform sends ``text``, e.g.
    ``("GSM7 + Turkish single shift", 0, 1)`` for the API's ``language`` object.

    Raises :class:`console.errors.EncodingError` for a text beyond 255 parts.
    """
    lang = language or {}
    # bulk sends repeat one text to many numbers: remember the last answers
    return _measure(text, lang.get("languageCode") or None, bool(lang.get("singleShift")),
                    bool(lang.get("lockingShift")))


@lru_cache(maxsize=4096)
def _measure(text: str, code: str | None, single: bool, locking: bool) -> tuple[str, int, int]:
    # as count_parts (the smsCount rule): no flag set lets either shift table be used
    flags = single or locking
    res = encoding.split_text(text, language=code, single_shift=single if flags else None,
                              locking_shift=locking if flags else None, ref=1)
    return res.encoding.label, res.data_coding, res.sms_count
