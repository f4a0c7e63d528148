"""Free text as the product stores and prints it: no control or format characters.

A NUL, a line break or an escape in a stored field ends up raw in HTML and
PDFs, and format characters (Unicode Cf, e.g. right-to-left overrides, zero
width joiners) make text read differently from what is stored. No field of
the product needs either, so every free-text field refuses both.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

REFUSED_CATEGORIES = frozenset({"Cc", "Cf"})
MAX_NAME = 32
"""The longest name a passport prints, for registration and checks alike."""


def unprintable_character(text: str) -> str | None:
    """What is wrong with ``text``'s first control or format character, if any."""
    for offset, char in enumerate(text):
        category = unicodedata.category(char)
        if category in REFUSED_CATEGORIES:
            return (
                f"character U+{ord(char):04X} ({category}) at {offset} is a control "
                f"or format character"
            )
    return None


def check_plain_text(text: str) -> str:
    """``text`` unchanged; ValueError naming its first control or format character."""
    problem = unprintable_character(text)
    if problem is not None:
        raise ValueError(problem)
    return text


PlainText = Annotated[str, AfterValidator(check_plain_text)]
"""A string free of control and format characters (pydantic type)."""
