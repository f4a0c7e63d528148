"""The passport QR: alphanumeric-mode text at error level M, drawn as vectors.

The text is written only in the QR alphanumeric alphabet without the space
(uppercase letters, digits, ``$%*+-./:``) so that each pair of characters
costs 11 bits (ISO/IEC 18004 §7.4.4) and the symbol stays small.
"""

from __future__ import annotations

import itertools
from typing import Any

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.util import MODE_ALPHA_NUM, QRData
from reportlab.graphics.shapes import Drawing, Path, Rect
from reportlab.lib import colors

from verify.qrtext import QR_TEXT_ALPHABET

QUIET_ZONE = 4


class QRTextError(ValueError):
    """Text that cannot be written in the passport's QR alphabet."""


def make_qr(text: str) -> qrcode.QRCode[Any]:
    """Build the smallest QR at level M that holds ``text`` in alphanumeric mode."""
    bad = sorted(set(text) - QR_TEXT_ALPHABET)
    if not text or bad:
        raise QRTextError(
            f"qr text: expected 1 or more of 0-9 A-Z $%*+-./:, got {bad or 'nothing'}"
        )
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(QRData(text, mode=MODE_ALPHA_NUM))
    code.make(fit=True)
    return code


def qr_version(text: str) -> int:
    """The QR version (1 to 40) that ``text`` needs at level M."""
    version: int = make_qr(text).version
    return version


def qr_drawing(text: str, width: float) -> Drawing:
    """A vector drawing ``width`` points wide of the QR and its quiet zone."""
    matrix: list[list[bool]] = make_qr(text).get_matrix()
    module = width / len(matrix)
    drawing = Drawing(width, width)
    drawing.add(Rect(0, 0, width, width, fillColor=colors.white, strokeColor=None))
    # one path of row runs fills without seams between neighbouring modules
    path = Path(fillColor=colors.black, strokeColor=None)
    for row_index, row in enumerate(matrix):
        top = width - row_index * module
        col = 0
        for dark, run in itertools.groupby(row):
            span = len(list(run))
            if dark:
                left, right = col * module, (col + span) * module
                path.moveTo(left, top)
                path.lineTo(right, top)
                path.lineTo(right, top - module)
                path.lineTo(left, top - module)
                path.closePath()
            col += span
    drawing.add(path)
    return drawing
