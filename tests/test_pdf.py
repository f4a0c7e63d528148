"""The passport PDF: names extract back, fonts embed, the QR scans, tables split."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
from pathlib import Path

import pypdf
import pypdfium2
import pytest
import zxingcpp
from pypdf.generic import DictionaryObject

from passport.pdf import FontsNotFound, GlyphMissing, render_passport
from passport.pdf.cells import CHINESE_CANNOT_START
from passport.pdf.fonts import (
    FONT_DIRS_ENV,
    font_files,
    locate_fonts,
    search_dirs,
    split_runs,
)
from passport.qr import QRTextError, qr_version
from passport.sections import occupation_name
from schemas.passport import (
    CertificateLine,
    EmploymentLine,
    EmploymentSummary,
    GuidanceLine,
    HolderView,
    LevelLine,
    PassportView,
    TrainingLine,
)

# 28 + 387 = 415 characters of the QR alphanumeric alphabet, as a passport URL
QR_TEXT = (
    "HTTPS://SKILLPASS.EXAMPLE/V/" + ("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 13)[:387]
)
NAMES = [
    "张伟",
    "刘䶮",  # U+4DAE, CJK Extension A
    "吉𠮷",  # U+20BB7, CJK Extension B
    "阿依古丽·买买提",
    "阿卜杜热合曼·买买提依明·艾合买提江·阿不都热依木",
    "Nguyễn Thị Minh Khai",
    "Maria O'Brien-Smith",
]
MANY_CERTIFICATES = 40
WORK_TYPE = "认知障碍照护员"


def _certificate(serial: int) -> CertificateLine:
    work_type = WORK_TYPE if serial % 3 == 0 else None
    return CertificateLine(
        certificate_type="skill_level" if serial % 2 else "special_ability",
        occupation_code="4-10-01-05",
        occupation_name=occupation_name("4-10-01-05", work_type, english=False),
        work_type=work_type,
        skill_level=4,
        level_name="四级/中级工",
        # 22 characters per 人社鉴发〔2019〕2号: S, 0000, 50, station, 24, level 4
        certificate_no=f"S000050{serial:06d}244{serial:06d}",
        issued_on=dt.date(2024, 3, 1) + dt.timedelta(days=serial),
        issuer_name="重庆市养老服务职业技能等级认定评价中心有限责任公司",
        log_index=1000 + serial,
    )


def _view(
    name: str = "张伟",
    *,
    certificates: int = 3,
    guidance: bool = True,
    language: str = "zh",
) -> PassportView:
    return PassportView(
        passport_id="0a1b2c3d4e5f6071",
        issued_at=dt.datetime(2026, 3, 1, 2, 30, tzinfo=dt.UTC),
        expires_at=dt.datetime(2027, 3, 1, 2, 30, tzinfo=dt.UTC),
        holder=HolderView(name=name, masked_name=name[0] + "*", id_last4="002X"),
        levels=[
            LevelLine(
                occupation_code="4-10-01-05",
                occupation_name="养老护理员",
                skill_level=4,
                level_name="四级/中级工",
                since=dt.date(2024, 3, 1),
            )
        ],
        certificates=[_certificate(serial) for serial in range(certificates)],
        trainings=[
            TrainingLine(
                course="失智老年人照护专项能力提升培训（第三期）",
                occupation_name="养老护理员",
                institution="重庆城市管理职业学院",
                start_on=dt.date(2023, 9, 1),
                completed_on=dt.date(2023, 12, 20),
                hours=120,
                passed=True,
            )
        ],
        employment=EmploymentSummary(
            spells=[
                EmploymentLine(
                    employer_name="重庆市渝中区颐养中心",
                    position="护理员",
                    started_on=dt.date(2020, 5, 1),
                    ended_on=None,
                )
            ],
            months_worked=70,
            months_insured=68,
        ),
        guidance=[
            GuidanceLine(
                text_zh="再从事本职业工作满 1 年即可申报三级/高级工。",
                text_en="One more year in the occupation qualifies you for level 3.",
            )
        ]
        if guidance
        else [],
        language=language,
        tree_size=123456,
        qr_text=QR_TEXT,
    )


def _render(view: PassportView, tmp_path: Path) -> Path:
    out = tmp_path / "passport.pdf"
    render_passport(view, out)
    return out


def _page_texts(pdf: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(pdf).pages]


@pytest.fixture(scope="module")
def many_certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    view = _view(certificates=MANY_CERTIFICATES)
    return _render(view, tmp_path_factory.mktemp("many"))


def _numbers() -> list[str]:
    return [_certificate(s).certificate_no for s in range(MANY_CERTIFICATES)]


@pytest.mark.parametrize("name", NAMES)
def test_holder_name_extracts_back(name: str, tmp_path: Path) -> None:
    pdf = _render(_view(name), tmp_path)
    assert name in _page_texts(pdf)[0]
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        assert name in text


def test_extension_b_name_takes_a_second_font() -> None:
    runs = split_runs("吉𠮷")
    assert "".join(text for _, text in runs) == "吉𠮷"
    assert [text for _, text in runs] == ["吉", "𠮷"]


def test_shows_masked_id_and_the_facts(tmp_path: Path) -> None:
    text = "".join(_page_texts(_render(_view(), tmp_path)))
    for expected in [
        "**************002X",
        "0a1b2c3d4e5f6071",
        "2026-03-01 10:30",  # issued_at in China time
        "2027-03-01 10:30",
        "BINS-YPKO-L5QH-C",
        "职业技能护照",
        "Skills Passport",
        "当前等级",
        "Current levels",
        "累计从业 70 个月",
        "Months worked: 70",
        "累计缴纳社会保险 68 个月",
        "Months insured: 68",
        "失智老年人照护专项能力提升培训",
    ]:
        assert expected in text


@pytest.mark.parametrize("guidance", [True, False])
def test_guidance_section_only_when_given(guidance: bool, tmp_path: Path) -> None:
    text = "".join(_page_texts(_render(_view(guidance=guidance), tmp_path)))
    assert ("晋升指引" in text) is guidance
    assert ("Promotion guidance" in text) is guidance


def test_fonts_are_embedded(tmp_path: Path) -> None:
    reader = pypdf.PdfReader(_render(_view("吉𠮷"), tmp_path))
    fonts: dict[str, DictionaryObject] = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[str(font["/BaseFont"])] = font
    assert any("WenQuanYi" in name for name in fonts)
    assert any("HanaMin" in name for name in fonts)
    for name, font in fonts.items():
        assert "/FontFile2" in font["/FontDescriptor"], name


def test_qr_decodes_from_the_page(tmp_path: Path) -> None:
    view = _view()
    document = pypdfium2.PdfDocument(_render(view, tmp_path))
    try:
        image = document[0].render(scale=150 / 72).to_pil()
    finally:
        document.close()
    found = zxingcpp.read_barcodes(image)
    assert [(code.format, code.text) for code in found] == [
        (zxingcpp.BarcodeFormat.QRCode, view.qr_text)
    ]
    # printed width with the 4-module quiet zone on each side, at 150 dpi
    modules = 17 + 4 * qr_version(view.qr_text)
    corners = found[0].position
    symbol_px = corners.top_right.x - corners.top_left.x
    width_cm = symbol_px * (modules + 8) / modules / 150 * 2.54
    assert width_cm >= 3


def test_qr_version_fits_415_characters() -> None:
    assert len(QR_TEXT) == 415
    assert qr_version(QR_TEXT) <= 12


@pytest.mark.parametrize("text", ["HTTPS://EXAMPLE/v/abc", "A B", ""])
def test_qr_refuses_text_outside_the_alphabet(text: str) -> None:
    with pytest.raises(QRTextError, match="qr text"):
        qr_version(text)


@pytest.mark.parametrize("char", ["\ue000", "\u0378", "\U0003ffff"])
def test_name_without_glyph_is_refused(char: str, tmp_path: Path) -> None:
    code_point = f"U+{ord(char):04X}"
    out = tmp_path / "passport.pdf"
    with pytest.raises(GlyphMissing, match=code_point.replace("+", r"\+")) as caught:
        render_passport(_view("张" + char), out)
    assert caught.value.code_point == code_point
    assert caught.value.char == char
    assert not out.exists()


def test_no_cjk_font_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(FontsNotFound, match="make fonts") as caught:
        locate_fonts([tmp_path])
    assert str(tmp_path) in str(caught.value)
    assert "fonts-wqy-zenhei" in str(caught.value)


def test_search_order_and_recursion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wqy = {spec.name: path for spec, path in font_files()}["WenQuanYiZenHei"]
    nested = tmp_path / "usr" / "share" / "fonts" / "truetype" / "wqy"
    nested.mkdir(parents=True)
    (nested / wqy.name).symlink_to(wqy)
    monkeypatch.setenv(FONT_DIRS_ENV, os.pathsep.join([str(tmp_path), "/nowhere"]))
    dirs = search_dirs()
    assert dirs[:2] == [tmp_path, Path("/nowhere")]
    found = locate_fonts(dirs)
    assert found["WenQuanYiZenHei"] == nested / wqy.name
    assert tmp_path not in found["HanaMinA"].parents


def test_header_row_repeats_across_pages(many_certificates: Path) -> None:
    pages = _page_texts(many_certificates)
    with_certificates = [
        text for text in pages if any(number in text for number in _numbers())
    ]
    assert len(with_certificates) >= 2
    for text in with_certificates:
        assert "证书编号" in text
        assert "Certificate no." in text


def test_certificate_numbers_are_never_split(many_certificates: Path) -> None:
    # a number broken over two lines would come back with a newline inside
    text = "".join(_page_texts(many_certificates))
    for number in _numbers():
        assert number in text


def test_same_view_gives_same_bytes() -> None:
    first, second = io.BytesIO(), io.BytesIO()
    render_passport(_view("吉𠮷"), first)
    render_passport(_view("吉𠮷"), second)
    assert first.getvalue() == second.getvalue()


def test_metadata_title(tmp_path: Path) -> None:
    metadata = pypdf.PdfReader(_render(_view(), tmp_path)).metadata
    assert metadata is not None
    assert metadata.title == "职业技能护照 Skills Passport 0a1b2c3d4e5f6071"


def test_work_type_printed_once(tmp_path: Path) -> None:
    text = _page_texts(_render(_view(certificates=1), tmp_path))[0]
    # the cell wraps, so look at the text without its line breaks
    assert "".join(text.split()).count(WORK_TYPE) == 1
    assert "养老护理员（认知障碍照护员）" in "".join(text.split())


def test_unknown_work_type_kept_in_the_name() -> None:
    assert occupation_name("4-10-01-05", "夜班照护", english=False) == (
        "养老护理员（夜班照护）"
    )
    assert occupation_name("4-10-01-05", WORK_TYPE, english=True) == (
        "Elderly Care Worker (Dementia Care Worker)"
    )


def test_no_line_starts_with_chinese_punctuation(tmp_path: Path) -> None:
    # the comma and question mark move across every place of a 100-character line
    lines = [
        GuidanceLine(
            text_zh="路" * n + "，请向评价机构核实？" + "证" * 30 + "；是否满足：否！",
            text_en="Path " * (n % 7) + "check with the evaluation institution",
        )
        for n in range(1, 100, 3)
    ]
    view = _view().model_copy(update={"guidance": lines})
    starts = [
        line.strip()[:1]
        for page in _page_texts(_render(view, tmp_path))
        for line in page.splitlines()
    ]
    assert "路" in starts
    assert [c for c in starts if c and c in CHINESE_CANNOT_START] == []


def test_english_first_footer_and_labels(tmp_path: Path) -> None:
    text = _page_texts(_render(_view(language="en"), tmp_path))[0]
    footer = "Skills Passport 职业技能护照 · Passport ID 护照编号 0a1b2c3d4e5f6071"
    assert f"{footer} · Page 1 / 2 第 1 / 2 页" in text
    assert "2026-03-01 10:30 Beijing time, UTC+8 北京时间 UTC+8" in text
    assert "账本快照" not in text


def test_chinese_first_labels(tmp_path: Path) -> None:
    text = _page_texts(_render(_view(), tmp_path))[0]
    footer = "职业技能护照 Skills Passport · 护照编号 Passport ID 0a1b2c3d4e5f6071"
    assert f"{footer} · 第 1 / 2 页 Page 1 / 2" in text
    assert "2026-03-01 10:30 北京时间 UTC+8 Beijing time, UTC+8" in text
    flat = " ".join(text.split())
    assert "账本记录数 Records in the ledger when issued 123456 log tree size" in flat


def test_later_pages_name_holder_passport_and_page(many_certificates: Path) -> None:
    pages = _page_texts(many_certificates)
    total = len(pages)
    assert total >= 2
    assert "持证人 Holder" not in pages[0]
    for number, text in enumerate(pages[1:], start=2):
        assert (
            f"职业技能护照 Skills Passport · 持证人 Holder 张* · 护照编号 Passport ID "
            f"0a1b2c3d4e5f6071 · 第 {number} / {total} 页 Page {number} / {total}"
        ) in text
