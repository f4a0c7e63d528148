"""The running footer of a passport: who, which passport, page x / y.

The page count is known only once the story is laid out, so the canvas keeps
each page and draws every footer when the document is saved.
"""

from __future__ import annotations

from typing import Any

from reportlab.pdfgen.canvas import Canvas

from passport.pdf.cells import MARGIN, MUTED
from passport.pdf.fonts import split_runs
from schemas.passport import PassportView

FOOTER_SIZE = 7.5


def footer_text(view: PassportView, page: int, total: int) -> str:
    """The footer of one page, in the passport's first language then the other.

    Pages after the first carry the holder's masked name, so a loose page
    still says whose passport it belongs to.
    """
    english = view.language == "en"
    parts = [
        ("职业技能护照", "Skills Passport", ""),
        ("护照编号", "Passport ID", view.passport_id),
        (f"第 {page} / {total} 页", f"Page {page} / {total}", ""),
    ]
    if page > 1:
        parts.insert(1, ("持证人", "Holder", view.holder.masked_name))
    pairs = (
        (f"{en} {zh}" if english else f"{zh} {en}") + (f" {value}" if value else "")
        for zh, en, value in parts
    )
    return " · ".join(pairs)


class FooterCanvas(Canvas):  # type: ignore[misc]  # reportlab has no types
    """A canvas that draws each page's footer once the page count is known."""

    def __init__(self, *args: Any, view: PassportView, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._view = view
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        """Keep the finished page; it is drawn out in ``save``."""
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        """Draw every kept page with its footer, then write the file."""
        total = len(self._pages)
        for page, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._draw_footer(footer_text(self._view, page, total))
            super().showPage()
        super().save()

    def _draw_footer(self, text: str) -> None:
        x = MARGIN
        self.saveState()
        self.setFillColor(MUTED)
        for font, run in split_runs(text):
            self.setFont(font, FOOTER_SIZE)
            self.drawString(x, MARGIN, run)
            x += self.stringWidth(run, font, FOOTER_SIZE)
        self.restoreState()
