"""The demo programme: deterministic, valid, consistent and shaped like annex 2."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
import re
import time
from collections import Counter, defaultdict
from typing import Any

import pytest

from passport.demo import IssuerSpec, Programme, WorkerHistory, generate
from schemas.catalogue import ELDERLY_CARE_WORKER, load_catalogue
from schemas.events import EventKind, dump_event, parse_event
from schemas.identifiers import (
    ISSUER_ID_PATTERN,
    IdentifierError,
    certificate_no_parts,
    check_uscc,
    normalize_id_number,
)
from schemas.trust import IssuerKind, TrustedIssuer
from verify.events import check_accreditation

K = EventKind
AS_OF = dt.date(2026, 11, 30)
CHINA = dt.timezone(dt.timedelta(hours=8))
CATALOGUE = load_catalogue()
# who signs each kind of event; revocations come from the target's issuer
SIGNER = {
    K.TRAINING_ENROLLED: IssuerKind.TRAINING_INSTITUTION,
    K.TRAINING_COMPLETED: IssuerKind.TRAINING_INSTITUTION,
    K.CERTIFICATE_ISSUED: IssuerKind.EVALUATION_INSTITUTION,
    K.COMPETITION_AWARDED: IssuerKind.EVALUATION_INSTITUTION,
    K.EMPLOYMENT_STARTED: IssuerKind.EMPLOYER,
    K.EMPLOYMENT_ENDED: IssuerKind.EMPLOYER,
    K.INSURANCE_PERIOD: IssuerKind.SOCIAL_INSURANCE_AGENCY,
    K.APPRENTICESHIP_COMPLETED: IssuerKind.EMPLOYER,
}
FACT_FIELD = {
    K.TRAINING_ENROLLED: "start_on",
    K.TRAINING_COMPLETED: "completed_on",
    K.CERTIFICATE_ISSUED: "issued_on",
    K.COMPETITION_AWARDED: "awarded_on",
    K.EMPLOYMENT_STARTED: "started_on",
    K.EMPLOYMENT_ENDED: "ended_on",
    K.ENTRY_REVOKED: "revoked_on",
    K.ENTRY_CORRECTED: "corrected_on",
    K.APPRENTICESHIP_COMPLETED: "completed_on",
}


@pytest.fixture(scope="module")
def default() -> tuple[Programme, list[WorkerHistory], float]:
    started = time.perf_counter()
    programme = generate()
    workers = list(programme.workers())
    return programme, workers, time.perf_counter() - started


@pytest.fixture(scope="module")
def issuers(default: tuple[Programme, Any, Any]) -> dict[str, IssuerSpec]:
    return {issuer.issuer_id: issuer for issuer in default[0].issuers}


@pytest.fixture(scope="module")
def workers(default: tuple[Any, list[WorkerHistory], Any]) -> list[WorkerHistory]:
    return default[1]


def digest(programme: Programme) -> str:
    issuers = [
        {**vars(i), "accreditation": i.accreditation.model_dump(mode="json")}
        for i in programme.issuers
    ]
    workers = [vars(worker) for worker in programme.workers()]
    text = json.dumps([issuers, workers], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def fact_date(event: dict[str, Any]) -> dt.date:
    if event["kind"] == K.INSURANCE_PERIOD:  # reported once the last month is over
        year, month = map(int, event["period_to"].split("-"))
        return dt.date(year + month // 12, month % 12 + 1, 1)
    return dt.date.fromisoformat(event[FACT_FIELD[K(event["kind"])]])


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def age_on(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def month_of(text: str) -> str:
    return text[:7]


def test_default_sizes_and_speed(
    default: tuple[Programme, list[WorkerHistory], float],
) -> None:
    programme, workers, seconds = default
    kinds = Counter(issuer.kind for issuer in programme.issuers)
    assert kinds == {
        IssuerKind.EVALUATION_INSTITUTION: 8,
        IssuerKind.TRAINING_INSTITUTION: 14,
        IssuerKind.EMPLOYER: 16,
        IssuerKind.SOCIAL_INSURANCE_AGENCY: 2,
    }
    assert len(workers) == 2000
    assert (programme.seed, programme.as_of) == (2026, AS_OF)
    assert seconds < 5


def test_same_seed_same_output() -> None:
    programme = generate(workers=300, seed=7)
    first = digest(programme)
    assert digest(programme) == first  # each call of workers() starts afresh
    assert digest(generate(workers=300, seed=7)) == first


def test_different_seed_different_output() -> None:
    assert digest(generate(workers=300, seed=7)) != digest(generate(300, seed=8))
    usccs = [i.uscc for i in generate(0, seed=8).issuers]
    assert usccs != [i.uscc for i in generate(0, seed=7).issuers]


def as_signed(event: dict[str, Any]) -> dict[str, Any]:
    """The event as the runner signs it: a worker id, the revocation target found."""
    data = {**event, "worker_id": "0" * 32}
    if event["kind"] in (K.ENTRY_REVOKED, K.ENTRY_CORRECTED):
        del data["target_ref"], data["target_issuer_id"]
        data |= {"target_log_index": 0, "target_leaf_hash": "0" * 64}
    if event["kind"] == K.ENTRY_CORRECTED:
        data["corrected"] = {**data["corrected"], "worker_id": "0" * 32}
    return data


def test_every_event_parses_in_canonical_form(workers: list[WorkerHistory]) -> None:
    for worker in workers:
        for event in worker.events:
            assert "worker_id" not in event
            data = as_signed(event)
            assert dump_event(parse_event(data)) == data


def test_id_numbers_valid_unique_and_adult(workers: list[WorkerHistory]) -> None:
    numbers = [worker.id_number for worker in workers]
    assert len(set(numbers)) == len(numbers)
    for worker in workers:
        assert normalize_id_number(worker.id_number) == worker.id_number
        born = day(f"{worker.id_number[6:10]}-{worker.id_number[10:12]}-"
                   f"{worker.id_number[12:14]}")  # fmt: skip
        assert 18 <= age_on(born, AS_OF) <= 62
        first = min((fact_date(event) for event in worker.events), default=None)
        assert first is None or age_on(born, first) >= 18
    chongqing = sum(number.startswith("50") for number in numbers)
    assert 0.75 < chongqing / len(numbers) < 0.95
    assert {number[:2] for number in numbers} <= {
        "50",
        "51",
        "52",
        "42",
        "43",
        "61",
        "65",
    }


def test_names_realistic_with_rare_and_minority(workers: list[WorkerHistory]) -> None:
    names = [worker.name for worker in workers]
    assert any("\U00020bb7" in name for name in names)  # 𠮷
    assert any("\u4dae" in name for name in names)  # 䶮
    dotted = [name for name in names if "·" in name]
    assert 10 <= len(dotted) <= 40
    assert all(
        re.fullmatch(r"[\u4e00-\u9fff]{2,5}·[\u4e00-\u9fff]{2,5}", n) for n in dotted
    )
    han = [name for name in names if "·" not in name]
    assert all(2 <= len(name) <= 3 and " " not in name for name in han)
    rare = [name for name in han if set(name) & set("𠮷䶮堃喆昇珺赟燊")]
    assert 10 <= len(rare) <= 40


def test_certificate_numbers_unique_and_laid_out(
    workers: list[WorkerHistory], issuers: dict[str, IssuerSpec]
) -> None:
    seen: set[str] = set()
    for event in (e for w in workers for e in w.events):
        if event["kind"] != K.CERTIFICATE_ISSUED:
            continue
        number, issuer = event["certificate_no"], issuers[event["issuer_id"]]
        assert number not in seen and event["ref"] == number
        seen.add(number)
        year = f"{day(event['issued_on']).year % 100:02d}"
        if event["certificate_type"] == "skill_level":
            # FACTS.md §3.3: kind, 0000, province 50, station, YY, level, serial
            assert len(number) == 22
            assert number[:7] == f"{issuer.certificate_prefix}000050"
            assert (number[7:13], number[13:15]) == (issuer.station, year)
            assert certificate_no_parts(number) == (int(year), event["skill_level"])
        else:
            assert re.fullmatch(r"ZX50\d{14}", number)
            assert (number[4:10], number[10:12]) == (issuer.station, year)
    assert len(seen) > 1000


def test_uscc_valid_except_two_flagged(issuers: dict[str, IssuerSpec]) -> None:
    flagged = {i.issuer_id for i in issuers.values() if i.uscc_flagged}
    assert flagged == {"train-cq-003", "emp-cq-012"}
    for issuer in issuers.values():
        assert issuer.uscc[:2] in {"12", "52", "91"}
        assert issuer.uscc[2:6] in {"5001", "5002"}
        if issuer.uscc_flagged:
            with pytest.raises(IdentifierError, match="check character is"):
                check_uscc(issuer.uscc)
        else:
            check_uscc(issuer.uscc)


def test_issuers_ids_systems_and_coverage(issuers: dict[str, IssuerSpec]) -> None:
    keys = {system.key for system in CATALOGUE.systems}
    for issuer in issuers.values():
        assert re.fullmatch(ISSUER_ID_PATTERN, issuer.issuer_id)
        assert "某某" in issuer.name
        training = issuer.kind is IssuerKind.TRAINING_INSTITUTION
        assert (issuer.system in keys) if training else issuer.system is None
    # each system with a target for an item has an institution to train it
    for item in CATALOGUE.items:
        for system, number in item.targets[2026].by_system.items():
            assert number == 0 or any(
                issuer.system == system and issuer.accredits(item.code, None)
                for issuer in issuers.values()
            ), (item.seq, system)


def test_refs_unique_per_issuer(workers: list[WorkerHistory]) -> None:
    refs = [(e["issuer_id"], e["ref"]) for w in workers for e in w.events]
    assert len(set(refs)) == len(refs)


def test_every_event_within_its_issuers_accreditation(
    workers: list[WorkerHistory], issuers: dict[str, IssuerSpec]
) -> None:
    trusted = {
        spec.issuer_id: TrustedIssuer(
            issuer_id=spec.issuer_id,
            name=spec.name,
            kind=spec.kind,
            uscc=spec.uscc,
            uscc_flagged=spec.uscc_flagged,
            system=spec.system,
            accreditation=spec.accreditation,
            keys=[],
        )
        for spec in issuers.values()
    }
    for event in (e for w in workers for e in w.events):
        # the ledger's own admission rule
        check_accreditation(trusted[event["issuer_id"]], parse_event(as_signed(event)))
        issuer = issuers[event["issuer_id"]]
        if event["kind"] in SIGNER:
            assert issuer.kind is SIGNER[K(event["kind"])]
        # stricter than the ledger: a class trains no higher than the issuer may
        level = event.get("target_level")
        highest = issuer.accreditation.highest_level
        assert level is None or (highest is not None and level >= highest)


def test_signed_on_working_days_after_the_fact(workers: list[WorkerHistory]) -> None:
    for worker in workers:
        stamps = [event["signed_at"] for event in worker.events]
        assert stamps == sorted(stamps)
        for event in worker.events:
            signed = dt.datetime.fromisoformat(event["signed_at"]).astimezone(CHINA)
            assert event["signed_at"].endswith("Z")
            assert signed.weekday() < 5 and 9 <= signed.hour < 17
            assert signed.date() <= AS_OF
            assert 1 <= (signed.date() - fact_date(event)).days <= 14


def test_histories_consistent(
    workers: list[WorkerHistory], issuers: dict[str, IssuerSpec]
) -> None:
    usccs = {issuer.issuer_id: issuer.uscc for issuer in issuers.values()}
    for worker in workers:
        by_ref = {(e["issuer_id"], e["ref"]): e for e in worker.events}
        for event in worker.events:
            kind = K(event["kind"])
            if kind is K.TRAINING_COMPLETED:
                enrolment = by_ref[event["issuer_id"], event["enrolment_ref"]]
                assert enrolment["kind"] == K.TRAINING_ENROLLED
                for field in ("occupation_code", "work_type", "target_level"):
                    assert enrolment.get(field) == event.get(field)
                assert day(event["completed_on"]) > day(enrolment["start_on"])
                assert event["hours"] <= enrolment["planned_hours"]
            elif kind is K.CERTIFICATE_ISSUED:
                assert earned(event, worker.events), event
            elif kind is K.EMPLOYMENT_ENDED:
                started = by_ref[event["issuer_id"], event["employment_ref"]]
                assert day(event["ended_on"]) > day(started["started_on"])
            elif kind is K.INSURANCE_PERIOD:
                assert within_a_spell(event, worker.events, usccs), event
            elif kind is K.ENTRY_REVOKED:
                target = by_ref[event["target_issuer_id"], event["target_ref"]]
                assert target["signed_at"] < event["signed_at"]
                assert day(event["revoked_on"]) > fact_date(target)
            elif kind is K.ENTRY_CORRECTED:
                target = by_ref[event["target_issuer_id"], event["target_ref"]]
                assert target["signed_at"] < event["signed_at"]
                fixed = event["corrected"]
                assert fixed == {**target, "position": fixed["position"]}
                assert fixed["position"] != target["position"]


def earned(certificate: dict[str, Any], events: list[dict[str, Any]]) -> bool:
    """A passed training of the same item and level before it, or a contest placing."""
    issued_on = day(certificate["issued_on"])
    item = (certificate["occupation_code"], certificate.get("work_type"))
    for event in events:
        if event["kind"] == K.TRAINING_COMPLETED and (
            (event["occupation_code"], event.get("work_type")) == item
            and event.get("target_level") == certificate.get("skill_level")
            and event["passed"]
            and day(event["completed_on"]) < issued_on
        ):
            return True
        if event["kind"] == K.COMPETITION_AWARDED and (
            event["issuer_id"] == certificate["issuer_id"]
            and day(event["awarded_on"]) < issued_on
        ):
            return True
    return False


def within_a_spell(
    period: dict[str, Any], events: list[dict[str, Any]], usccs: dict[str, str]
) -> bool:
    """Months inside a spell at the employer whose credit code the period names."""
    ended = {
        (e["issuer_id"], e["employment_ref"]): month_of(e["ended_on"])
        for e in events
        if e["kind"] == K.EMPLOYMENT_ENDED
    }
    return any(
        usccs[e["issuer_id"]] == period["employer_uscc"]
        and month_of(e["started_on"]) <= period["period_from"]
        and period["period_to"] <= ended.get((e["issuer_id"], e["ref"]), "9999-12")
        for e in events
        if e["kind"] == K.EMPLOYMENT_STARTED
    )


def test_levels_climb(workers: list[WorkerHistory]) -> None:
    for worker in workers:
        held: dict[tuple[str, str | None], list[tuple[dt.date, int]]] = defaultdict(
            list
        )
        for event in worker.events:
            if event.get("certificate_type") == "skill_level":
                item = (event["occupation_code"], event.get("work_type"))
                held[item].append((day(event["issued_on"]), event["skill_level"]))
        for (code, _), certificates in held.items():
            certificates.sort()
            grades = [grade for _, grade in certificates]
            assert grades == sorted(set(grades), reverse=True), worker.events
            dates = dict((grade, issued) for issued, grade in certificates)
            if code == ELDERLY_CARE_WORKER and {5, 4} <= dates.keys():
                # 养老护理员 2019: 四级 two years after 五级 (FACTS.md §2.1)
                assert dates[4] - dates[5] >= dt.timedelta(days=730)


def first_enrolments(workers: list[WorkerHistory]) -> list[dict[str, Any]]:
    found = []
    for worker in workers:
        enrolments = [e for e in worker.events if e["kind"] == K.TRAINING_ENROLLED]
        if enrolments:
            found.append(min(enrolments, key=lambda e: e["start_on"]))
    return found


def close(observed: int, expected: float, count: int) -> bool:
    """Within four standard deviations of a binomial share, plus a little."""
    tolerance = 4 * math.sqrt(expected * (1 - expected) / count) + 0.01
    return abs(observed / count - expected) <= tolerance


def test_occupations_follow_annex_2(workers: list[WorkerHistory]) -> None:
    firsts = first_enrolments(workers)
    assert len(firsts) > 1500
    seen = Counter((e["occupation_code"], e.get("work_type")) for e in firsts)
    total = CATALOGUE.annual_totals[2026].total
    for item in CATALOGUE.items:
        expected = item.targets[2026].total / total
        assert close(seen[item.code, item.work_type], expected, len(firsts)), item.seq
    elderly_care = sum(
        n for (code, _), n in seen.items() if code == ELDERLY_CARE_WORKER
    )
    assert elderly_care / len(firsts) > 0.45


def test_systems_follow_annex_2(
    workers: list[WorkerHistory], issuers: dict[str, IssuerSpec]
) -> None:
    firsts = first_enrolments(workers)
    seen = Counter(issuers[e["issuer_id"]].system for e in firsts)
    row = CATALOGUE.annual_totals[2026]
    for system, number in row.by_system.items():
        assert close(seen[system], number / row.total, len(firsts)), system


def test_history_has_every_shape(workers: list[WorkerHistory]) -> None:
    events = [e for w in workers for e in w.events]
    kinds = Counter(e["kind"] for e in events)
    # no demo worker reaches 一级 by 2026, so none is appointed to a post above it
    assert set(kinds) == set(EventKind) - {K.APPOINTMENT_GRANTED}
    assert kinds[K.APPRENTICESHIP_COMPLETED] >= 5
    assert kinds[K.ENTRY_REVOKED] >= 5 and kinds[K.COMPETITION_AWARDED] >= 5
    assert kinds[K.ENTRY_CORRECTED] >= 5
    completions = [e for e in events if e["kind"] == K.TRAINING_COMPLETED]
    failed = sum(not e["passed"] for e in completions) / len(completions)
    assert 0.02 < failed < 0.09
    subsidised = [e["subsidised"] for e in events if e["kind"] == K.TRAINING_ENROLLED]
    assert 0.4 < sum(subsidised) / len(subsidised) < 0.9
    abilities = {
        e["occupation_code"]
        for e in events
        if e.get("certificate_type") == "special_ability"
    }
    assert len(abilities) == 6
    assert {e.get("skill_level") for e in events} >= {5, 4, 3, 2}
    running = overlapping = 0
    for worker in workers:
        spells = _spells(worker.events)
        running += any(end is None for _, end in spells)
        overlapping += any(
            later_start < (end or dt.date.max)
            for (_, end), (later_start, _) in itertools.pairwise(spells)
        )
    assert running > 500 and overlapping > 10


def _spells(events: list[dict[str, Any]]) -> list[tuple[dt.date, dt.date | None]]:
    ends = {
        e["employment_ref"]: day(e["ended_on"])
        for e in events
        if e["kind"] == K.EMPLOYMENT_ENDED
    }
    return sorted(
        (day(e["started_on"]), ends.get(e["ref"]))
        for e in events
        if e["kind"] == K.EMPLOYMENT_STARTED
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"workers": -1}, "workers: expected a count of 0 or more, got -1"),
        ({"as_of": dt.date(2018, 6, 1)}, "as_of: expected 2019-01-01 or later"),
        (
            {"as_of": dt.date(2018, 12, 31)},
            "as_of: expected 2019-01-01 or later, got 2018-12-31",
        ),
    ],
)
def test_generate_refuses(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate(**arguments)


def test_earliest_as_of_is_accepted() -> None:
    programme = generate(workers=20, as_of=dt.date(2019, 1, 1))
    signed = [e["signed_at"] for w in programme.workers() for e in w.events]
    assert signed and max(signed) <= "2019-01-01T09:00:00Z"


@pytest.mark.slow
def test_fifty_thousand_workers_lazily() -> None:
    programme = generate(workers=50_000)
    numbers: set[str] = set()
    certificates: set[str] = set()
    for worker in programme.workers():
        numbers.add(worker.id_number)
        certificates.update(
            e["certificate_no"] for e in worker.events if "certificate_no" in e
        )
    assert len(numbers) == 50_000
    assert len(certificates) > 25_000
