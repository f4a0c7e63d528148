"""Reading a passport QR text from what a verifier has: a PDF, a photo, or the text.

A ``source`` that names an existing file is read as a file: a PDF (by its
``%PDF`` magic bytes) is rendered page by page at 200 dpi with pdfium, any
other file is opened as an image with Pillow; zxing-cpp finds the QR codes.
A ``source`` that names no file is taken as the QR text itself and returned
trimmed, unchecked: ``verify.qrtext.parse_qr_text`` judges it. So a
mistyped path comes back as text that does not parse; a CLI that wants to
call it a usage error should test for the file itself first.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from contextlib import closing
from pathlib import Path

import pypdfium2  # type: ignore[import-untyped]
import zxingcpp
from PIL import Image, UnidentifiedImageError

from verify.errors import MalformedInput, QrNotFound
from verify.qrtext import parse_qr_text

PDF_MAGIC = b"%PDF"
RENDER_DPI = 200
# a passport is one or two pages; a long document is not searched to the end
MAX_PAGES = 20
_QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def read_qr_text(source: str) -> str:
    """The text of our QR in the file ``source`` names, or ``source`` itself.

    Among several codes the first whose text parses as a compact passport
    wins. Raises QrNotFound when a readable file holds none of ours, and
    MalformedInput when the file cannot be read as a PDF or an image.
    """
    path = Path(source)
    try:
        is_file = path.is_file()
    except (OSError, ValueError):
        # a long QR text can exceed the OS limit on a path name
        is_file = False
    if not is_file:
        return source.strip()
    try:
        with path.open("rb") as stream:
            is_pdf = stream.read(len(PDF_MAGIC)) == PDF_MAGIC
    except OSError as exc:
        raise MalformedInput(f"file: cannot read {path}: {exc.strerror}") from exc
    if is_pdf:
        with closing(_pdf_pages(path)) as pages:
            return _first_of_ours(pages, path, "page")
    return _first_of_ours([_open_image(path)], path, "image")


def _first_of_ours(images: Iterable[Image.Image], path: Path, unit: str) -> str:
    looked_at = 0
    others = 0
    for image in images:
        looked_at += 1
        for barcode in zxingcpp.read_barcodes(image, formats=_QR_ONLY):
            try:
                parse_qr_text(barcode.text)
            except MalformedInput:
                others += 1
                continue
            return barcode.text.strip()
    where = {0: f"no {unit}s", 1: f"{unit} 1"}.get(looked_at, f"{unit}s 1-{looked_at}")
    raise QrNotFound(
        f"qr: no skillpass QR in {path} ({where} looked at, "
        f"{others} other QR codes found)"
    )


def _open_image(path: Path) -> Image.Image:
    try:
        with Image.open(path) as image:
            image.load()
            return image.convert("L")
    except (UnidentifiedImageError, OSError) as exc:
        raise MalformedInput(
            f"image: cannot read {path} as a PDF, PNG or JPEG file "
            "(damaged or of another kind)"
        ) from exc


def _pdf_pages(path: Path) -> Generator[Image.Image]:
    try:
        document = pypdfium2.PdfDocument(path)
    except pypdfium2.PdfiumError as exc:
        raise MalformedInput(
            f"pdf: cannot read {path}: damaged or not a PDF file"
        ) from exc
    try:
        for index in range(min(len(document), MAX_PAGES)):
            page = document[index]
            try:
                yield page.render(scale=RENDER_DPI / 72).to_pil()
            finally:
                page.close()
    except pypdfium2.PdfiumError as exc:
        raise MalformedInput(f"pdf: cannot render {path}: a page is damaged") from exc
    finally:
        document.close()
