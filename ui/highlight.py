"""Syntax highlighting for JSON and XML bodies (colours readable on light and dark themes)."""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument


def _fmt(color: str, bold: bool = False) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setForeground(QColor(color))
    if bold:
        f.setFontWeight(QFont.Weight.Bold)
    return f


# mid-tone colours: enough contrast on both white and dark backgrounds
_KEY = _fmt("#3b82c4", bold=True)
_STRING = _fmt("#2e9d5b")
_NUMBER = _fmt("#c26d1a")
_LITERAL = _fmt("#a855c7", bold=True)
_TAG = _fmt("#3b82c4", bold=True)
_ATTR = _fmt("#c26d1a")

# later rules win: numbers and literals first, then strings and keys paint over them
_JSON_RULES = [
    (re.compile(r"-?\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b"), _NUMBER),
    (re.compile(r"\b(?:true|false|null)\b"), _LITERAL),
    (re.compile(r'"(?:[^"\\]|\\.)*"'), _STRING),
    (re.compile(r'"(?:[^"\\]|\\.)*"(?=\s*:)'), _KEY),
]
_XML_RULES = [
    (re.compile(r"</?[\w:.-]+|/?>"), _TAG),
    (re.compile(r'[\w:.-]+(?==")'), _ATTR),
    (re.compile(r'"[^"]*"'), _STRING),
]


class BodyHighlighter(QSyntaxHighlighter):
    """Highlights a document as JSON or XML; :meth:`set_kind` switches (``"json"``/``"xml"``/``""``)."""

    def __init__(self, document: QTextDocument, kind: str = "json") -> None:
        super().__init__(document)
        self.kind = kind

    def set_kind(self, kind: str) -> None:
        if kind != self.kind:
            self.kind = kind
            self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        rules = _JSON_RULES if self.kind == "json" else _XML_RULES if self.kind == "xml" else []
        for pattern, fmt in rules:
            for m in pattern.finditer(text):
                self.setFormat(m.start(), m.end() - m.start(), fmt)


def kind_of_text(text: str, content_type: str | None = None) -> str:
    """``"xml"``, ``"json"`` or ``""`` from a content type, else from the first character."""
    ct = (content_type or "").lower()
    if "xml" in ct:
        return "xml"
    if "json" in ct:
        return "json"
    head = text.lstrip()[:1]
    return "xml" if head == "<" else "json" if head in ("{", "[") else ""
