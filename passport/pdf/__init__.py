"""The passport as a PDF: fonts that cover every name, and the A4 layout."""

from passport.pdf.fonts import FontError, FontsNotFound, GlyphMissing
from passport.pdf.render import render_passport

__all__ = ["FontError", "FontsNotFound", "GlyphMissing", "render_passport"]
