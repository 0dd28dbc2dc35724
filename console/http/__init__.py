"""The HTTP API client: requests, exchanges, presets, cURL and HAR export."""

from console.http.client import DEFAULT_BASE_URL, HttpClient
from console.http.curl import to_curl
from console.http.exchange import (
    AuthProfile,
    HttpExchange,
    HttpRequest,
    RequestRecord,
    ResponseRecord,
    Timings,
)
from console.http.har import to_har, validate_har, write_har
from console.http.presets import PRESETS, Preset, get_preset, preset, presets
from console.http.pretty import Explanation, error_message, explain, parse_body, pretty

__all__ = [
    "DEFAULT_BASE_URL", "PRESETS", "AuthProfile", "Explanation", "HttpClient", "HttpExchange",
    "HttpRequest", "Preset", "RequestRecord", "ResponseRecord", "Timings", "error_message",
    "explain", "get_preset", "parse_body", "preset", "presets", "pretty", "to_curl", "to_har",
    "validate_har", "write_har",
]
