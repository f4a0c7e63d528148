"""Worker histories of the demo programme: the events each worker's issuers sign.

Choices made here:

1. Occupations follow the 2026 column of annex 2: a worker's first training
   is an annex item drawn with the item totals as weights; its institution is
   drawn among the item's systems weighted by their numbers.
2. Work types are certified at their occupation's levels; occupations whose
   levels the catalogue does not know are certified at 五级 to 三级 (assumed).
3. A level waits as long after the previous one as 养老护理员 2019 asks (2,
   then 4 years); other occupations wait an assumed 3, 4, 5, 5 years. Some
   experienced 养老护理员 start at 四级 (path 四级 b: 4 years of work).
4. A top-ten placing in the "巴渝工匠" cup is promoted one level, to 技师 at
   most (FACTS.md §2.7), by the institution that runs the cup.
5. Special-ability certificate numbers use a local layout, the national one
   being unknown: ``ZX`` + province 50 + 6-digit station + YY + 6-digit serial.
6. An issuer signs on a working day 1 to 10 days after the fact, 09:00 to
   17:00 China time, never before what the event depends on; what would be
   signed after ``as_of`` is left out, and with it all that depends on it.
7. Some 养老护理员 hired without a certificate complete a one-year
   apprenticeship (企业新型学徒制) with their first employer, signed by it;
   the length is assumed. These draws come from a stream of their own, so
   the rest of each history is the same with or without them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from passport.demo.apprentices import apprenticeship
from passport.demo.choices import (
    PLAN_YEAR,
    accredited,
    choose,
    evaluators,
    trainers,
)
from passport.demo.corrections import correction
from passport.demo.names import Person, make_person
from passport.demo.signing import signed_at
from passport.guidance.calendar import add_years
from schemas.catalogue import (
    ELDERLY_CARE_WORKER,
    CatalogueItem,
    ItemType,
    load_catalogue,
)
from schemas.events import EventKind
from schemas.trust import IssuerKind

if TYPE_CHECKING:
    from passport.demo.generator import IssuerSpec

K = EventKind
Events = list[dict[str, Any]]
# early enough for some workers to climb 五级 to 三级 (2 + 4 years) by the plan
LEDGER_START = dt.date(2018, 1, 1)
_ASSUMED_LEVELS = (5, 4, 3)
_YEARS_TO_NEXT = {ELDERLY_CARE_WORKER: {5: 2, 4: 4, 3: 4, 2: 4}}
_ASSUMED_YEARS_TO_NEXT = {5: 3, 4: 4, 3: 5, 2: 5}

# Shares and day ranges below are assumptions, no source gives them; each is
# set so that every kind of record, and every outcome of guidance, shows up
# among a few hundred workers.
_AT_WORK_FIRST = 0.55  # over half: the plan trains in-post workers (一线职工) first
_NEVER_HIRED = 0.1  # of all workers: trained, never hired, so no job on record
_FIRST_CLASS_DAYS = (0, 720)  # in post up to two years before the first class
_HIRED_AFTER_DAYS = (10, 180)  # from the first completed class to the first job
_LATEST_START = dt.timedelta(days=60)  # before as_of: the last worker can still enrol
_START_AT_FOUR = 0.15  # experienced 养老护理员 who take path 四级 b directly
# near the plan's two thirds of policy training (12 of 18万人次); the cap of
# three subsidies a person is 渝人社发〔2024〕13号
_SUBSIDISED, _SUBSIDIES_PER_PERSON = 0.75, 3
_HOURS_PER_WEEK = (16, 24, 32, 40)  # evening classes up to full-time courses
_FAILED = 0.05  # classes not passed; a failed class is retaken once
_RETAKE_AFTER_DAYS = (30, 120)
_NO_EXAM = 0.1  # complete the class but never sit the exam
_CERTIFIED_AFTER_DAYS = (7, 45)  # from the end of the class to the certificate
_STOP_CLIMBING = 0.4  # stop after a certificate, so each level has its holders
_EXTRA_WAIT_DAYS = 540  # the next class starts up to 18 months after the wait
_EXTRA_ABILITY = 0.15  # add a special ability beside the worker's own occupation
_ABILITY_AFTER = dt.timedelta(days=90)  # at the earliest, after the first class
_ABILITY_CERTIFIED_AFTER_DAYS = (7, 30)
_CONTEST_ENTRY = 0.06  # 养老护理员 at 四级 or above entering a contest after a level
# decided 15 October to 20 November and signed within ten days, so a year's
# awards are all in by 30 November (the generator's default as_of)
_CONTEST_OPENS, _CONTEST_DAYS = (10, 15), 36
_CUP_FIELD, _ENTERPRISE_FIELD = 30, 20  # finalists ranked in each contest
_PROMOTED_TOP, _PROMOTED_UP_TO = 10, 2  # top ten, to 技师 at most (FACTS.md §2.7)
_PROMOTED_AFTER_DAYS = (30, 90)
_SPELL_DAYS = (120, 2400)  # four months to six and a half years in one job
_INSURED = 0.9  # spells with pension contributions; the rest leave gaps
_LEAVE_SECTOR = 0.12  # leave care work after a job
_OVERLAP = 0.08  # start the next job before the last one ends
_OVERLAP_DAYS, _GAP_DAYS = (5, 45), (1, 240)
_REVOKED = 0.02  # histories whose last certificate is revoked, for verification
_REVOKED_AFTER_DAYS = (30, 400)

_HOURS = {5: (80, 120), 4: (100, 160), 3: (120, 200), 2: (100, 150), 1: (90, 130)}
_HOURS_BY_CODE = {"4-14-02-02": {3: (180, 200), 2: (130, 150), 1: (110, 130)}}
_ABILITY_HOURS = (40, 80)
# the job held by a worker whose first training is a special ability
_ABILITY_JOB = {
    "4071202000000008": "4-14-01-02",
    "4060101000000001": "4-14-01-02",
    "4140404000000001": "4-14-01-02",
}
_REF_PREFIX = {
    K.TRAINING_ENROLLED: "BM",
    K.TRAINING_COMPLETED: "JY",
    K.COMPETITION_AWARDED: "JS",
    K.EMPLOYMENT_STARTED: "RZ",
    K.EMPLOYMENT_ENDED: "LZ",
    K.INSURANCE_PERIOD: "JF",
    K.ENTRY_REVOKED: "CX",
}
_FACT_FIELD = {
    K.TRAINING_ENROLLED: "start_on",
    K.TRAINING_COMPLETED: "completed_on",
    K.CERTIFICATE_ISSUED: "issued_on",
    K.COMPETITION_AWARDED: "awarded_on",
}
# for each weekday, the offsets 1 to 10 days ahead that fall on Monday to Friday
# TODO: public holidays and the weekends worked in exchange (调休) are not modelled,
# so a few signatures fall on a holiday; a holiday calendar would fix that.
_REVOCATION_REASONS = (
    "评价过程违规，撤销证书",
    "以不正当手段取得证书",
    "证书信息录入错误，撤销后重新核发",
)


class HistoryMaker:
    """One pass over the workers: the random stream and every counter it shares."""

    def __init__(
        self, *, seed: int, as_of: dt.date, issuers: Sequence[IssuerSpec]
    ) -> None:
        self.rng = random.Random(f"skillpass-demo/{seed}/workers")
        self.seed = seed
        self.as_of = as_of
        # 17:00 China time on as_of, the last moment anything is signed
        self.cutoff = f"{as_of.isoformat()}T09:00:00Z"
        self.taken: set[str] = set()
        self.refs: Counter[str] = Counter()
        self.serials: Counter[tuple[str, str, int]] = Counter()
        self.by_id = {issuer.issuer_id: issuer for issuer in issuers}
        catalogue = load_catalogue()
        self.items = catalogue.items
        self.weights = [item.targets[PLAN_YEAR].total for item in self.items]
        self.abilities = [i for i in self.items if i.type is ItemType.SPECIAL_ABILITY]
        self.ability_weights = [a.targets[PLAN_YEAR].total for a in self.abilities]
        self.levels = {item.seq: _levels(item) for item in self.items}
        self.trainers = {
            (item.seq, grade): trainers(issuers, item, grade)
            for item in self.items
            for grade in self.levels[item.seq] or (None,)
        }
        self.evaluators = {
            (item.code, grade): evaluators(issuers, item.code, grade)
            for item in self.items
            for grade in self.levels[item.seq] or (None,)
        }
        jobs = {_job(item)[0] for item in self.items}
        self.employers = {
            code: accredited(issuers, IssuerKind.EMPLOYER, code, None) for code in jobs
        }
        self.contest_runners = [issuer for issuer in issuers if issuer.contest]

    def worker(self, index: int) -> tuple[Person, Events]:
        """Draw the ``index``-th worker and their events up to ``as_of``."""
        rng = self.rng
        person = make_person(rng, index=index, as_of=self.as_of, taken=self.taken)
        item = rng.choices(self.items, weights=self.weights)[0]
        earliest = max(LEDGER_START, add_years(person.birth_date, 18))
        start = self._day_between(earliest, self.as_of - _LATEST_START)
        events: Events = []
        path = rng.random()
        at_work_first = path < _AT_WORK_FIRST
        delay = dt.timedelta(rng.randint(*_FIRST_CLASS_DAYS) if at_work_first else 0)
        completed = self._climb(events, item, start + delay)
        if completed is not None:
            self._extra_ability(events, item, completed)
        if at_work_first:
            self._employment(events, item, start)
        elif path < 1 - _NEVER_HIRED and completed is not None:
            hired = completed + dt.timedelta(rng.randint(*_HIRED_AFTER_DAYS))
            self._employment(events, item, hired)
        if rng.random() < _REVOKED:
            self._revoke_last_certificate(events)
        if at_work_first and item.code == ELDERLY_CARE_WORKER:
            events.extend(apprenticeship(self.seed, index, events, self.as_of))
        events.extend(correction(self.seed, index, events, self.as_of))
        kept = [event for event in events if event["signed_at"] <= self.cutoff]
        kept.sort(key=lambda event: event["signed_at"])
        return person, kept

    def _climb(
        self, events: Events, item: CatalogueItem, begin: dt.date
    ) -> dt.date | None:
        """Train and certify up the levels of ``item``; the first completion date."""
        rng, levels = self.rng, self.levels[item.seq]
        elderly_care = item.code == ELDERLY_CARE_WORKER
        step = 1 if elderly_care and rng.random() < _START_AT_FOUR else 0
        day, first_completed, retaken, subsidies = begin, None, False, 0
        while day < self.as_of:
            grade = levels[step] if levels else None
            capped = retaken or subsidies >= _SUBSIDIES_PER_PERSON
            subsidised = not capped and rng.random() < _SUBSIDISED
            subsidies += subsidised
            completion = self._training(events, item, grade, day, subsidised)
            if completion is None:
                break
            completed_on = dt.date.fromisoformat(completion["completed_on"])
            first_completed = first_completed or completed_on
            if not completion["passed"]:
                if retaken:
                    break
                retaken = True
                day = completed_on + dt.timedelta(rng.randint(*_RETAKE_AFTER_DAYS))
                continue
            retaken = False
            issued_on = completed_on + dt.timedelta(rng.randint(*_CERTIFIED_AFTER_DAYS))
            if issued_on >= self.as_of or rng.random() < _NO_EXAM:
                break
            certificate = self._certificate(events, item, grade, issued_on, completion)
            if grade is None:
                break
            grade, issued_on = self._maybe_compete(
                events, item, grade, issued_on, certificate
            )
            if grade == levels[-1] or rng.random() < _STOP_CLIMBING:
                break
            step = levels.index(grade) + 1
            wait = _YEARS_TO_NEXT.get(item.code, _ASSUMED_YEARS_TO_NEXT)[grade]
            extra = rng.randint(0, _EXTRA_WAIT_DAYS)
            day = issued_on + dt.timedelta(wait * 365 + extra)
        return first_completed

    def _training(
        self,
        events: Events,
        item: CatalogueItem,
        grade: int | None,
        start_on: dt.date,
        subsidised: bool,
    ) -> dict[str, Any] | None:
        """Enrol in a class and, if it ends before ``as_of``, complete it."""
        rng = self.rng
        trainer = choose(rng, self.trainers[item.seq, grade])
        if grade is None:
            low, high = _ABILITY_HOURS
            level = "专项职业能力"
        else:
            low, high = _HOURS_BY_CODE.get(item.code, _HOURS)[grade]
            level = load_catalogue().level_name(grade)
        planned = rng.randint(low, high)
        common: dict[str, Any] = {
            "occupation_code": item.code,
            "work_type": item.work_type,
            "target_level": grade,
        }
        enrolment = self._emit(
            events, trainer, K.TRAINING_ENROLLED, start_on, **common,
            course=f"{load_catalogue().label(item)}{level}培训班", start_on=start_on,
            planned_hours=planned, subsidised=subsidised,
        )  # fmt: skip
        per_week = rng.choice(_HOURS_PER_WEEK)
        completed_on = start_on + dt.timedelta(days=-(-planned * 7 // per_week))
        if completed_on >= self.as_of:
            return None
        passed = rng.random() >= _FAILED
        return self._emit(
            events, trainer, K.TRAINING_COMPLETED, completed_on, after=enrolment,
            enrolment_ref=enrolment["ref"], **common, completed_on=completed_on,
            hours=planned if passed else rng.randint(planned // 2, planned),
            passed=passed,
        )  # fmt: skip

    def _certificate(
        self,
        events: Events,
        item: CatalogueItem,
        grade: int | None,
        issued_on: dt.date,
        after: dict[str, Any],
        evaluator: IssuerSpec | None = None,
    ) -> dict[str, Any]:
        """Certify ``grade`` in ``item`` (a special ability when None)."""
        # TODO: an employer's own evaluation institution (prefix Y) should certify
        # only its own staff; the demo does not tie it to an employer yet.
        evaluator = evaluator or choose(self.rng, self.evaluators[item.code, grade])
        station, year = str(evaluator.station), issued_on.year % 100
        prefix = str(evaluator.certificate_prefix) if grade else "ZX"
        self.serials[prefix, station, year] += 1
        serial = self.serials[prefix, station, year]
        if grade is None:
            number = f"ZX50{station}{year:02d}{serial:06d}"
        else:  # 人社鉴发〔2019〕2号, FACTS.md §3.3
            number = f"{prefix}000050{station}{year:02d}{grade}{serial:06d}"
        return self._emit(
            events, evaluator, K.CERTIFICATE_ISSUED, issued_on, after=after,
            ref=number,
            certificate_type="skill_level" if grade else "special_ability",
            occupation_code=item.code, work_type=item.work_type, skill_level=grade,
            certificate_no=number, issued_on=issued_on,
        )  # fmt: skip

    def _maybe_compete(
        self,
        events: Events,
        item: CatalogueItem,
        grade: int,
        certified_on: dt.date,
        certificate: dict[str, Any],
    ) -> tuple[int, dt.date]:
        """Now and then enter a contest; the grade held after it, and since when."""
        rng = self.rng
        if item.code != ELDERLY_CARE_WORKER or grade > 4:
            return grade, certified_on
        if rng.random() >= _CONTEST_ENTRY:
            return grade, certified_on
        runner = rng.choice(self.contest_runners)
        month, day = _CONTEST_OPENS
        year = certified_on.year + (certified_on.month >= month)
        awarded_on = dt.date(year, month, day) + dt.timedelta(
            rng.randint(0, _CONTEST_DAYS)
        )
        if awarded_on >= self.as_of:
            return grade, certified_on
        cup = runner.contest == "provincial_1"
        rank = rng.randint(1, _CUP_FIELD if cup else _ENTERPRISE_FIELD)
        contest = (
            "“巴渝工匠”杯养老护理职业技能竞赛" if cup else "养老护理员岗位练兵比武"
        )
        award = self._emit(
            events, runner, K.COMPETITION_AWARDED, awarded_on, after=certificate,
            occupation_code=item.code, contest=f"{year}年{contest}",
            contest_class=runner.contest, rank=rank, awarded_on=awarded_on,
        )  # fmt: skip
        promoted_on = awarded_on + dt.timedelta(rng.randint(*_PROMOTED_AFTER_DAYS))
        promoted = cup and rank <= _PROMOTED_TOP and grade > _PROMOTED_UP_TO
        if not promoted or promoted_on >= self.as_of:
            return grade, certified_on
        self._certificate(events, item, grade - 1, promoted_on, award, runner)
        return grade - 1, promoted_on

    def _extra_ability(
        self, events: Events, item: CatalogueItem, after: dt.date
    ) -> None:
        """Now and then a special ability beside the worker's own occupation."""
        rng = self.rng
        first_day = after + _ABILITY_AFTER
        if item.type is ItemType.SPECIAL_ABILITY or rng.random() >= _EXTRA_ABILITY:
            return
        if first_day >= self.as_of:
            return
        ability = rng.choices(self.abilities, weights=self.ability_weights)[0]
        start_on = self._day_between(first_day, self.as_of)
        completion = self._training(events, ability, None, start_on, False)
        if completion is None or not completion["passed"]:
            return
        completed_on = dt.date.fromisoformat(completion["completed_on"])
        issued_on = completed_on + dt.timedelta(
            rng.randint(*_ABILITY_CERTIFIED_AFTER_DAYS)
        )
        if issued_on < self.as_of:
            self._certificate(events, ability, None, issued_on, completion)

    def _employment(
        self, events: Events, item: CatalogueItem, first_day: dt.date
    ) -> None:
        """Employment spells from ``first_day``: gaps, overlaps, the last may run."""
        rng = self.rng
        code, position = _job(item)
        day, insured_until = first_day, 0
        while day < self.as_of:
            employer = rng.choice(self.employers[code])
            started = self._emit(
                events, employer, K.EMPLOYMENT_STARTED, day, occupation_code=code,
                position=position, started_on=day,
            )  # fmt: skip
            end = day + dt.timedelta(rng.randint(*_SPELL_DAYS))
            running = end >= self.as_of
            if not running:
                self._emit(
                    events, employer, K.EMPLOYMENT_ENDED, end, after=started,
                    employment_ref=started["ref"], ended_on=end,
                )  # fmt: skip
            if rng.random() < _INSURED:
                last = _month(self.as_of) - 1 if running else _month(end)
                # one pension account: an overlapping spell pays from the next month
                first = max(_month(day), insured_until + 1)
                self._insurance(events, employer, started, first, last)
                insured_until = max(insured_until, last)
            if running or rng.random() < _LEAVE_SECTOR:
                return
            overlap = rng.random() < _OVERLAP
            day = end + dt.timedelta(
                -rng.randint(*_OVERLAP_DAYS) if overlap else rng.randint(*_GAP_DAYS)
            )

    def _insurance(
        self,
        events: Events,
        employer: IssuerSpec,
        started: dict[str, Any],
        first: int,
        last: int,
    ) -> None:
        """Pension months ``first`` to ``last``, one entry per calendar year."""
        agency = self.by_id[str(employer.insured_by)]
        month = first
        while month <= last:
            to = min(last, month // 12 * 12 + 11)
            reported = dt.date((to + 1) // 12, (to + 1) % 12 + 1, 1)
            self._emit(
                events, agency, K.INSURANCE_PERIOD, reported, after=started,
                scheme="pension", period_from=_year_month(month),
                period_to=_year_month(to), employer_uscc=employer.uscc,
            )  # fmt: skip
            month = to + 1

    def _revoke_last_certificate(self, events: Events) -> None:
        """Revoke the last certificate if nothing later in the history builds on it."""
        dated = [(fact, event) for event in events if (fact := _fact(event))]
        if not dated:
            return
        fact, target = max(dated, key=lambda pair: (pair[0], pair[1]["signed_at"]))
        revoked_on = fact + dt.timedelta(self.rng.randint(*_REVOKED_AFTER_DAYS))
        if target["kind"] != K.CERTIFICATE_ISSUED or revoked_on >= self.as_of:
            return
        self._emit(
            events, self.by_id[target["issuer_id"]], K.ENTRY_REVOKED, revoked_on,
            after=target, target_ref=target["ref"],
            target_issuer_id=target["issuer_id"],
            reason=self.rng.choice(_REVOCATION_REASONS), revoked_on=revoked_on,
        )  # fmt: skip

    def _emit(
        self,
        events: Events,
        issuer: IssuerSpec,
        kind: EventKind,
        fact: dt.date,
        after: dict[str, Any] | None = None,
        ref: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Add an event signed after ``fact`` and after the event it depends on."""
        self.refs[issuer.issuer_id] += 1
        counter = self.refs[issuer.issuer_id]
        event = {
            "kind": kind.value,
            "issuer_id": issuer.issuer_id,
            "ref": ref or f"{_REF_PREFIX[kind]}{fact.year}{counter:07d}",
            "signed_at": signed_at(
                self.rng, fact, after["signed_at"] if after else None
            ),
        }
        for name, value in fields.items():
            if value is not None:
                event[name] = value.isoformat() if isinstance(value, dt.date) else value
        events.append(event)
        return event

    def _day_between(self, first: dt.date, last: dt.date) -> dt.date:
        """A day from ``first`` to ``last``; ``first`` if the span is empty."""
        return first + dt.timedelta(self.rng.randint(0, max(0, (last - first).days)))


def _fact(event: dict[str, Any]) -> dt.date | None:
    """The date of a training, certificate or award; None for other kinds."""
    field = _FACT_FIELD.get(EventKind(event["kind"]))
    return dt.date.fromisoformat(event[field]) if field else None


def _month(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _year_month(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def _job(item: CatalogueItem) -> tuple[str, str]:
    """The occupation code and position of a worker trained first in ``item``."""
    if item.type is ItemType.SPECIAL_ABILITY:
        code = _ABILITY_JOB.get(item.code, ELDERLY_CARE_WORKER)
        return code, load_catalogue().item(code).name_zh
    return item.code, item.name_zh


def _levels(item: CatalogueItem) -> tuple[int, ...]:
    """The grades a demo worker can reach in ``item``, lowest first."""
    if item.type is ItemType.SPECIAL_ABILITY:
        return ()
    parent = load_catalogue().parent(item)
    return item.levels or (parent and parent.levels) or _ASSUMED_LEVELS
