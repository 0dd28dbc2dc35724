"""Light or dark, as the system says.

Where the platform theme follows the system itself (Windows, macOS, GNOME and KDE through the
desktop portal) Qt already switches the palette; this covers the rest: when the system asks
for dark but the palette stayed light (Fusion on a bare X11 session, say), the app gets a
dark Fusion palette, and the style's own palette back when the system turns light again.
Colours the tabs pick themselves are mid-tones readable on both.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

_DARKENED = "infobipConsoleDarkPalette"  # app property: we replaced a light palette


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def dark_palette() -> QPalette:
    """A dark palette for the Fusion style (window, base, text, links, highlight)."""
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#2b2d30", QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1e1f22", QPalette.ColorRole.AlternateBase: "#26282b",
        QPalette.ColorRole.ToolTipBase: "#3c3f41", QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.PlaceholderText: "#8c8c8c", QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#35373b", QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.BrightText: "#ff6b6b", QPalette.ColorRole.Link: "#6fb3f2",
        QPalette.ColorRole.Highlight: "#2f65ca", QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Light: "#45484d", QPalette.ColorRole.Midlight: "#3a3d41",
        QPalette.ColorRole.Mid: "#2f3134", QPalette.ColorRole.Dark: "#1b1c1f",
        QPalette.ColorRole.Shadow: "#000000",
    }
    for role, color in roles.items():
        p.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return p


def apply_color_scheme(app: QApplication, scheme: Qt.ColorScheme) -> None:
    """Make the palette match ``scheme`` where the platform did not."""
    if scheme == Qt.ColorScheme.Dark and not is_dark(app.palette()):
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
        app.setProperty(_DARKENED, True)
    elif scheme != Qt.ColorScheme.Dark and app.property(_DARKENED):
        app.setProperty(_DARKENED, False)
        app.setPalette(app.style().standardPalette())


def follow_system_color_scheme(app: QApplication) -> None:
    """Apply the system's scheme now and whenever it changes."""
    hints = app.styleHints()
    hints.colorSchemeChanged.connect(lambda scheme: apply_color_scheme(app, scheme))
    apply_color_scheme(app, hints.colorScheme())
