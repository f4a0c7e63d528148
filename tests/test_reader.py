"""Reading a passport QR text from a PNG, a JPEG, a PDF, or the text itself."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
import qrcode
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M
from qrcode.util import MODE_ALPHA_NUM, QRData
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas

from schemas.events import CertificateType
from verify.compact import CompactCertificate, CompactPassport, sign_compact
from verify.errors import MalformedInput, QrNotFound
from verify.qrtext import parse_qr_text, to_qr_text
from verify.reader import read_qr_text

KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"reader").digest())
PASSPORT = CompactPassport(
    passport_id="0a1b2c3d4e5f6071",
    issued_at=dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC),
    expires_at=dt.datetime(2026, 6, 1, 6, 0, tzinfo=dt.UTC),
    masked_name="𠮷*·䶮",
    id_last4="1234",
    tree_size=88_001,
    certificates=(
        CompactCertificate(
            CertificateType.SKILL_LEVEL,
            "4-10-01-05",
            4,
            "S000050123456254000321",
            dt.date(2025, 4, 3),
        ),
        CompactCertificate(
            CertificateType.SPECIAL_ABILITY,
            "4071202000000006",
            None,
            "S000050123456260000031",
            dt.date(2026, 1, 8),
        ),
    ),
)
OURS = to_qr_text(
    sign_compact(PASSPORT, private_key=KEY, key_id=b"\x0a\x0b\x0c\x0d"),
    "HTTP://127.0.0.1:8000",
)
FOREIGN = "HTTPS://EXAMPLE.COM/NOT/A/PASSPORT"


def write_png(text: str, path: Path) -> Path:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4, box_size=6)
    code.add_data(QRData(text, mode=MODE_ALPHA_NUM))
    code.make(fit=True)
    code.make_image().save(path)
    return path


def write_pdf(path: Path, pages: list[list[Path]]) -> Path:
    """A PDF whose pages each show the given QR images, 4 cm wide, and a line."""
    canvas = Canvas(str(path))
    for images in pages:
        canvas.drawString(2 * cm, 27 * cm, "Skills passport / test page")
        for index, image in enumerate(images):
            canvas.drawImage(
                str(image), 2 * cm + index * 6 * cm, 20 * cm, 4 * cm, 4 * cm
            )
        canvas.showPage()
    canvas.save()
    return path


def test_png_is_read(tmp_path: Path) -> None:
    text = read_qr_text(str(write_png(OURS, tmp_path / "passport.png")))
    assert text == OURS
    assert parse_qr_text(text)[0] == "HTTP://127.0.0.1:8000"


def test_jpeg_is_read(tmp_path: Path) -> None:
    png = write_png(OURS, tmp_path / "passport.png")
    jpeg = tmp_path / "photo.jpg"
    Image.open(png).convert("RGB").save(jpeg, quality=85)
    assert read_qr_text(str(jpeg)) == OURS


def test_pdf_is_read(tmp_path: Path) -> None:
    png = write_png(OURS, tmp_path / "qr.png")
    pdf = write_pdf(tmp_path / "passport.pdf", [[png]])
    assert read_qr_text(str(pdf)) == OURS


def test_ours_is_picked_among_other_codes(tmp_path: Path) -> None:
    foreign = write_png(FOREIGN, tmp_path / "foreign.png")
    ours = write_png(OURS, tmp_path / "ours.png")
    pdf = write_pdf(tmp_path / "two.pdf", [[foreign], [foreign, ours]])
    assert read_qr_text(str(pdf)) == OURS


def test_pdf_without_qr_is_refused(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "empty.pdf", [[], []])
    with pytest.raises(
        QrNotFound, match=r"no skillpass QR in .*empty\.pdf \(pages 1-2"
    ):
        read_qr_text(str(pdf))


def test_image_with_only_a_foreign_qr_is_refused(tmp_path: Path) -> None:
    png = write_png(FOREIGN, tmp_path / "foreign.png")
    with pytest.raises(QrNotFound, match=r"image 1 looked at, 1 other QR codes found"):
        read_qr_text(str(png))


IMAGE = "image: cannot read {} as a PDF, PNG or JPEG file (damaged or of another kind)"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"%PDF-1.7\nnot really a pdf",
            "pdf: cannot read {}: damaged or not a PDF file",
        ),
        (b"\x89PNG\r\n\x1a\n broken", IMAGE),
        (b"plain words", IMAGE),
    ],
)
def test_unreadable_file_is_malformed(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "upload.bin"
    path.write_bytes(content)
    with pytest.raises(MalformedInput) as caught:
        read_qr_text(str(path))
    assert str(caught.value) == message.format(path)
    assert not isinstance(caught.value, QrNotFound)


def test_text_passes_through_trimmed() -> None:
    assert read_qr_text(f"  {OURS.lower()}\n") == OURS.lower()


def test_missing_file_is_taken_as_text() -> None:
    missing = "no-such-folder/passport.pdf"
    assert not Path(missing).exists()
    assert read_qr_text(missing) == missing
    with pytest.raises(MalformedInput, match="qr text: no /V/ in 'no-such-folder/"):
        parse_qr_text(read_qr_text(missing))
