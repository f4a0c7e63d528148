"""Fictitious people for the demo: Chinese names and GB 11643 resident ID numbers.

Names draw on ``data/names.json``: surnames by weight, one or two given
characters. One worker in a hundred gets a rare character (the first two are
𠮷 U+20BB7 and 䶮 U+4DAE) and one in a hundred a minority name with a middle
dot U+00B7; both are placed by the worker's index, so every run of a few
hundred workers or more has them. ID numbers carry a Chongqing address code
(a few from neighbouring provinces), a birth date giving an age of 18 to 62,
an order code whose parity gives the sex, and the check character.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
from dataclasses import dataclass
from importlib import resources
from typing import Any

from passport.guidance.calendar import add_years
from schemas.identifiers import id_check_char

MIDDLE_DOT = "\u00b7"
_RARE_SLOT = 37  # index % 100 of the workers whose name has a rare character
_MINORITY_SLOT = 71  # index % 100 of the workers with a minority name
_FEMALE_SHARE = 0.78  # most elderly-care workers are women
_NEIGHBOUR_SHARE = 0.15


@dataclass(frozen=True)
class Person:
    """A fictitious worker as their ID card shows them."""

    name: str
    id_number: str
    birth_date: dt.date
    female: bool


@functools.cache
def _data(name: str) -> dict[str, Any]:
    text = (
        resources.files("passport.demo")
        .joinpath(f"data/{name}.json")
        .read_text(encoding="utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


def make_person(
    rng: random.Random, *, index: int, as_of: dt.date, taken: set[str]
) -> Person:
    """Draw the ``index``-th worker; ``taken`` holds ID numbers already given out."""
    female = rng.random() < _FEMALE_SHARE
    minority = index % 100 == _MINORITY_SLOT
    if minority:
        name = _minority_name(rng, female)
    else:
        rare = index % 100 == _RARE_SLOT
        name = _han_name(rng, female, rare_slot=index // 100 if rare else None)
    birth_date = _birth_date(rng, as_of)
    places = _data("places")
    if minority:
        region = places["xinjiang"]
    elif rng.random() < _NEIGHBOUR_SHARE:
        region = places["neighbours"]
    else:
        region = places["chongqing"]
    while True:
        order = 2 * rng.randint(1, 499) if female else 2 * rng.randint(0, 499) + 1
        first17 = f"{rng.choice(list(region))}{birth_date:%Y%m%d}{order:03d}"
        id_number = first17 + id_check_char(first17)
        if id_number not in taken:
            taken.add(id_number)
            return Person(name, id_number, birth_date, female)


def _han_name(rng: random.Random, female: bool, rare_slot: int | None) -> str:
    names = _data("names")
    weights: dict[str, int] = names["surnames"]
    surname = rng.choices(list(weights), weights=list(weights.values()))[0]
    pool = names["given_female" if female else "given_male"] + names["given_neutral"]
    # a compound surname takes one given character so the name stays short
    count = 1 if len(surname) > 1 or rng.random() < 0.3 else 2
    given = [rng.choice(pool) for _ in range(count)]
    if rare_slot is not None:
        given[-1] = names["rare"][rare_slot % len(names["rare"])]
    return surname + "".join(given)


def _minority_name(rng: random.Random, female: bool) -> str:
    names = _data("names")
    own = rng.choice(names["minority_female" if female else "minority_male"])
    father = rng.choice([n for n in names["minority_male"] if n != own])
    return f"{own}{MIDDLE_DOT}{father}"


def _birth_date(rng: random.Random, as_of: dt.date) -> dt.date:
    # ages 18 (plus a few months, so that the history has room) to 62, most near 47
    youngest = add_years(as_of, -18) - dt.timedelta(days=120)
    oldest = add_years(as_of, -63) + dt.timedelta(days=1)
    span = (youngest - oldest).days
    mode = (add_years(as_of, -47) - oldest).days
    return oldest + dt.timedelta(days=round(rng.triangular(0, span, mode)))
