"""Text handling at submission: transliteration, URL shortening, encoding and part count.

Uses ``console.encoding`` (the project's GSM 7-bit / UCS-2 engine); a minimal fallback
based on the ``gsm0338`` codec keeps the simulator usable if that module is unavailable.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from functools import lru_cache
from typing import Any

try:  # registers the "gsm03.38" codec used by the fallback
    import gsm0338  # noqa: F401
except ImportError:  # pragma: no cover
    pass

TRANSLITERATIONS = ("TURKISH", "GREEK", "CYRILLIC", "CENTRAL_EUROPEAN", "NON_UNICODE")
LANGUAGE_CODES = ("TR", "ES", "PT")
SHORT_URL_HOST = "http://eel.nu/"
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def transliterate(text: str, kind: str | None) -> str:
    """Apply the API's ``transliteration`` (TURKISH, GREEK, … NON_UNICODE) to ``text``."""
    if not kind:
        return text
    try:
        from console.encoding import transliterate as engine
    except ImportError:
        engine = None
    if engine is not None:
        try:
            return str(engine(text, kind))
        except Exception:  # an engine refusing a kind falls back to the generic rule below
            pass
    return _strip_to_gsm(text)


def _gsm_ok(ch: str) -> bool:
    try:
        ch.encode("gsm03.38")
        return True
    except (UnicodeEncodeError, LookupError):
        return False


def _strip_to_gsm(text: str) -> str:
    out = []
    for ch in text:
        if _gsm_ok(ch):
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base if base and all(_gsm_ok(c) for c in base) else ch)
    return "".join(out)


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
    """(encoding, data_coding, smsCount) as the platform would send ``text``; the encoding
    is ``GSM7``, ``UCS2`` … or e.g. ``GSM7 + Turkish single shift`` with a language."""
    lang = language or {}
    # bulk sends repeat one text to many numbers: remember the last answers
    return _measure(text, lang.get("languageCode"), bool(lang.get("singleShift")),
                    bool(lang.get("lockingShift")))


@lru_cache(maxsize=4096)
def _measure(text: str, code: str | None, single: bool, locking: bool) -> tuple[str, int, int]:
    try:
        from console.encoding import choose_encoding, split_text
    except ImportError:
        return _fallback_measure(text, bool(code) and (single or locking))
    try:
        flags = single or locking
        enc = choose_encoding(text, code or None, single_shift=single if flags else None,
                              locking_shift=locking if flags else None)
        res = split_text(text, enc, ref=1)
    except Exception:  # an engine refusal must not refuse the message: count plainly
        return _fallback_measure(text, False)
    return str(enc), int(res.data_coding), max(1, int(res.sms_count))


def _fallback_measure(text: str, national: bool) -> tuple[str, int, int]:
    try:
        septets = len(text.encode("gsm03.38"))
    except (UnicodeEncodeError, LookupError):
        units = len(text.encode("utf-16-be")) // 2
        return "UCS2", 8, 1 if units <= 70 else math.ceil(units / 67)
    single, multi = (155, 148) if national else (160, 153)
    return "GSM7", 0, 1 if septets <= single else math.ceil(septets / multi)
