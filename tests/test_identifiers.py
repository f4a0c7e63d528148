"""GB 11643 ID numbers and GB 32100 credit codes, on the values of FACTS.md §3."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.events import parse_event
from schemas.identifiers import (
    IdentifierError,
    certificate_no_parts,
    check_uscc,
    find_id_number,
    id_check_char,
    normalize_id_number,
    uscc_check_char,
)
from tests import kit

# verified by hand against the standard's weights in domain/FACTS.md §3.1
ID_NUMBERS = ["11010519491231002X", "360426199101010071", "120103198806018241"]
# verified in domain/FACTS.md §3.2
USCC_VALID = ["91110000600037341L", "91350100M000100Y43", "91110108551385082Q"]


@pytest.mark.parametrize("id_number", ID_NUMBERS)
def test_id_check_character(id_number: str) -> None:
    assert id_check_char(id_number[:17]) == id_number[17]
    assert normalize_id_number(id_number) == id_number


def test_id_fifteen_digits_upgraded() -> None:
    assert normalize_id_number("110105491231002") == "11010519491231002X"


def test_id_lowercase_x_accepted_and_stored_uppercase() -> None:
    assert normalize_id_number(" 11010519491231002x ") == "11010519491231002X"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("110105194912310021", "id number: check character is 1, expected X"),
        ("110105194913310021", "id number: birth date 19491331 is not a date"),
        ("1101051949123100", "expected 18 characters .* got 16 characters"),
        ("11010519491231002XX", "got 19 characters"),
        ("1101051949123100AX", "expected 18 characters"),
    ],
)
def test_id_refused(raw: str, message: str) -> None:
    with pytest.raises(IdentifierError, match=message):
        normalize_id_number(raw)


@pytest.mark.parametrize("code", USCC_VALID)
def test_uscc_valid(code: str) -> None:
    assert uscc_check_char(code[:17]) == code[17]
    check_uscc(code)


def test_uscc_blog_example_fails() -> None:
    # the blog example quoted in FACTS.md §3.2 is known to fail its check
    with pytest.raises(IdentifierError, match="check character is D, expected 7"):
        check_uscc("91310115MA1H8R7C6D")


@pytest.mark.parametrize("code", ["91110000600037341", "91110000600037341I"])
def test_uscc_malformed(code: str) -> None:
    with pytest.raises(IdentifierError, match="expected 18 characters of"):
        check_uscc(code)


@pytest.mark.parametrize(
    ("number", "parts"),
    [
        ("S000050000101245000001", (24, 5)),
        ("Y000050000152221000042", (22, 1)),
        ("S000050000101246000001", None),  # level 6 does not exist
        ("ZX50000131240000001", None),  # not the national layout
        ("S０００050000101245000001", None),  # full-width digits are not digits here
    ],
)
def test_certificate_no_parts(number: str, parts: tuple[int, int] | None) -> None:
    assert certificate_no_parts(number) == parts


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),
        (" 110105491231002 ", "11010519491231002X"),
    ],
)
def test_id_number_full_width_and_spaces(raw: str, normalised: str) -> None:
    assert normalize_id_number(raw) == normalised


@pytest.mark.parametrize("raw", ["١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "११०१०५१९४९१२३१००२X"])
def test_id_number_refuses_digits_of_other_scripts(raw: str) -> None:
    # Python's \d matches these; one person must not get a second pseudonym
    with pytest.raises(IdentifierError, match="expected 18 characters"):
        normalize_id_number(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("000000199001011234", "00 is not a province code"),
        ("110105180001010017", "birth date 1800-01-01 is not between 1900-01-01"),
        ("110105300001010011", "birth date 3000-01-01 is not between"),
    ],
)
def test_id_number_refuses_impossible_places_and_births(raw: str, message: str) -> None:
    first17 = raw[:17]
    with pytest.raises(IdentifierError, match=message):
        normalize_id_number(first17 + id_check_char(first17))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("学员张三（500103199003071239）", "500103199003071239"),
        ("ref-110105491231002", "110105491231002"),
        ("S000050000101245000001", None),  # a certificate number
        ("202403010001234", None),  # 15 digits but no province 20
        ("订单500103199003071238", None),  # wrong check character
        ("职位 500103 19900307 1239", "500103199003071239"),
        ("500103-1990-0307-1239号", "500103199003071239"),
        ("500103.19900307.1239", "500103199003071239"),
        ("500103 - 19900307 - 1239", "500103199003071239"),
        ("１１０１０５ ４９１２３１００２", "110105491231002"),
        ("证 11010519900101007x", "11010519900101007x"),
        ("110105 1990 0101 007x", "11010519900101007x"),
        ("2026-12-04 500103 19900307 1239", "500103199003071239"),
        ("1 500103199003071239 2", "500103199003071239"),
        ("9500103 19900307 1239", None),  # a digit before: part of more digits
        ("500103 19900307 12397", None),  # the group runs on: 19 digits
        ("500103199003071239ab", None),  # a letter after: part of a hash
    ],
)
def test_find_id_number_in_free_text(text: str, found: str | None) -> None:
    assert find_id_number(text) == found


@pytest.mark.parametrize(
    ("event", "where"),
    [
        (
            kit.certificate(kit.WORKER_A, "eval-001", "X")
            | {"certificate_type": "special_ability", "skill_level": None}
            | {"occupation_code": "1234567890123456"}
            | {"certificate_no": "500103199003071239"},
            "certificate.issued.certificate_no",
        ),
        (
            kit.enrolment(kit.WORKER_A, "train-001", "X")
            | {"work_type": "500103-1990-0307-1239"},
            "training.enrolled.work_type",
        ),
        (
            kit.enrolment(kit.WORKER_A, "500103-19900307-1239", "X"),
            "training.enrolled.issuer_id",
        ),
    ],
)
def test_id_numbers_are_refused_in_every_field_that_can_hold_one(
    event: dict[str, object], where: str
) -> None:
    event = {k: v for k, v in event.items() if v is not None}
    with pytest.raises(ValidationError) as caught:
        parse_event(event)
    [error] = caught.value.errors()
    assert ".".join(str(p) for p in error["loc"]) == where
    assert error["msg"] == "Value error, must not contain a resident ID number"
