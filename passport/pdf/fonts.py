"""Find the TrueType fonts a passport needs and split text into runs by font.

reportlab embeds only fonts with TrueType outlines, so the chain is made of
Debian's TrueType CJK fonts: WenQuanYi Zen Hei (Chinese and Latin), HanaMin A
and B (the rarer ideographs, Extension B included), then DejaVu Sans for the
remaining Latin, Greek and Cyrillic letters. Each character is drawn in the
first font of the chain whose cmap has it; a character that no font has is
refused, so a name never prints as boxes. A font is parsed, with reportlab's
own TrueType reader, only when the chain first reaches it, and kept for the
life of the process.

Errors::

    FontError
    ├── FontsNotFound (also FileNotFoundError)  no CJK font in any search dir
    └── GlyphMissing (also ValueError)          a character no font covers
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

from passport.errors import ServiceError

FONT_DIRS_ENV = "SKILLPASS_FONT_DIRS"
REPO_FONT_DIR = Path(__file__).resolve().parents[2] / ".cache" / "fonts"
SYSTEM_FONT_DIR = Path("/usr/share/fonts/truetype")


@dataclass(frozen=True)
class FontSpec:
    """One font of the chain: its reportlab name and where to find it."""

    name: str
    filename: str
    subfont_index: int = 0
    cjk: bool = True


FONT_CHAIN: tuple[FontSpec, ...] = (
    FontSpec("WenQuanYiZenHei", "wqy-zenhei.ttc"),
    FontSpec("HanaMinA", "HanaMinA.ttf"),
    FontSpec("HanaMinB", "HanaMinB.ttf"),
    FontSpec("DejaVuSans", "DejaVuSans.ttf", cjk=False),
)


class FontError(ServiceError):
    """Root of the font errors."""


class FontsNotFound(FontError, FileNotFoundError):
    """No CJK TrueType font was found in any of the search directories."""

    def __init__(self, searched: Sequence[Path]) -> None:
        self.searched = list(searched)
        wanted = ", ".join(spec.filename for spec in FONT_CHAIN if spec.cjk)
        where = os.pathsep.join(str(path) for path in self.searched)
        super().__init__(
            f"cjk fonts not found: none of {wanted} in {where}; run `make fonts`, "
            f"or install the Debian packages fonts-wqy-zenhei and fonts-hanazono, "
            f"or set {FONT_DIRS_ENV} to directories that hold them"
        )


class GlyphMissing(FontError, ValueError):
    """A character that no available font can draw."""

    def __init__(self, char: str, fonts: Sequence[str]) -> None:
        self.char = char
        self.code_point = f"U+{ord(char):04X}"
        super().__init__(
            f"glyph missing: no font has {self.code_point} ({char!r}); "
            f"fonts tried: {', '.join(fonts)}"
        )


@dataclass(frozen=True)
class LoadedFont:
    """A font of the chain registered with reportlab, with its cmap."""

    name: str
    path: Path
    code_points: frozenset[int]

    def covers(self, char: str) -> bool:
        """Whether this font has a glyph for ``char``."""
        return ord(char) in self.code_points


def search_dirs() -> list[Path]:
    """The font directories in search order: the env variable, repo cache, system."""
    from_env = os.environ.get(FONT_DIRS_ENV, "")
    dirs = [Path(part) for part in from_env.split(os.pathsep) if part]
    return [*dirs, REPO_FONT_DIR, SYSTEM_FONT_DIR]


def locate_fonts(dirs: Iterable[Path]) -> dict[str, Path]:
    """Map each font name of the chain to the first file found, or raise.

    Directories are searched recursively and in order, so a directory that
    holds an extracted ``.deb`` (``usr/share/fonts/truetype/...``) works.
    """
    dirs = list(dirs)
    found: dict[str, Path] = {}
    for spec in FONT_CHAIN:
        for directory in dirs:
            # sorted, so that the same tree always yields the same file
            matches = (
                sorted(directory.rglob(spec.filename)) if directory.is_dir() else []
            )
            if matches:
                found[spec.name] = matches[0]
                break
    if not any(spec.name in found for spec in FONT_CHAIN if spec.cjk):
        raise FontsNotFound(dirs)
    return found


def _to_unicode_cmap(fontname: str, subset: Sequence[int]) -> str:
    """A ToUnicode CMap whose targets are UTF-16BE, surrogate pairs included.

    reportlab writes each target as ``%04X`` of the code point, which is not
    UTF-16 above U+FFFF, so readers lose characters such as U+20BB7.
    """
    targets = (
        chr(code).encode("utf-16-be", "surrogatepass").hex().upper() for code in subset
    )
    return "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            f"/CIDSystemInfo << /Registry ({fontname}) /Ordering ({fontname}) "
            "/Supplement 0 >> def",
            f"/CMapName /{fontname} def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            f"<00> <{len(subset) - 1:02X}>",
            "endcodespacerange",
            f"{len(subset)} beginbfchar",
            *(f"<{code:02X}> <{target}>" for code, target in enumerate(targets)),
            "endbfchar",
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    )


@functools.cache
def font_files() -> tuple[tuple[FontSpec, Path], ...]:
    """The fonts of the chain found in the search directories, in chain order."""
    paths = locate_fonts(search_dirs())
    return tuple((spec, paths[spec.name]) for spec in FONT_CHAIN if spec.name in paths)


@functools.cache
def _load(spec: FontSpec, path: Path) -> LoadedFont:
    # TODO: reportlab writes ToUnicode targets above U+FFFF as bare hex, not
    # UTF-16, so this replaces its function process-wide; drop it once fixed.
    ttfonts.makeToUnicodeCMap = _to_unicode_cmap
    font = TTFont(spec.name, str(path), subfontIndex=spec.subfont_index)
    pdfmetrics.registerFont(font)
    # glyph 0 is .notdef: a cmap entry pointing there draws a box
    covered = frozenset(
        code for code, glyph in font.face.charToGlyph.items() if glyph != 0
    )
    return LoadedFont(spec.name, path, covered)


def font_chain() -> Iterator[LoadedFont]:
    """The available fonts in chain order, each loaded when first reached.

    A parsed font costs 35 to 55 MB, and most names need only the first.
    """
    for spec, path in font_files():
        yield _load(spec, path)


def primary_font() -> str:
    """The name of the first available font, used for text set in one font."""
    return next(font_chain()).name


def split_runs(text: str) -> list[tuple[str, str]]:
    """Split ``text`` into (font name, text) runs, each in the first covering font."""
    runs: list[tuple[str, str]] = []
    for char in text:
        if char.isspace():
            # a paragraph breaks lines at whitespace, so it need not be drawn
            name = runs[-1][0] if runs else primary_font()
        else:
            name = _covering_font(char)
        if runs and runs[-1][0] == name:
            runs[-1] = (name, runs[-1][1] + char)
        else:
            runs.append((name, char))
    return runs


def _covering_font(char: str) -> str:
    for font in font_chain():
        if font.covers(char):
            return font.name
    raise GlyphMissing(char, [spec.name for spec, _ in font_files()])


def markup(text: str) -> str:
    """Paragraph markup for ``text`` with each run set in its font, XML-escaped."""
    return "".join(
        f'<font face="{name}">{escape(run)}</font>' for name, run in split_runs(text)
    )


def string_width(text: str, size: float) -> float:
    """The width in points of ``text`` set in its runs at ``size``."""
    return sum(
        float(pdfmetrics.stringWidth(run, name, size)) for name, run in split_runs(text)
    )
