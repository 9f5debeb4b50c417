"""Sampling logical records from the distributions of :mod:`ingestion.generate.vocab`."""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Generic, TypeVar

from ingestion.generate import fake, vocab
from ingestion.generate.model import Incident, PosMessage, RegisterAppeal, RegisterQuestion
from ingestion.generate.reference import (
    Municipality,
    Organization,
    load_classifier,
    question_codes,
)

K = TypeVar("K", bound=Hashable)

REGISTER_NUMBER_FORMATS: tuple[str, ...] = ("{n}", "ОГ-{n}", "{n}-ОГ", "Ж-{n}", "{n}/ж", "О-{n:05d}")


class Weighted(Generic[K]):
    """A fixed discrete distribution, sampled with one ``random()`` and a bisect."""

    def __init__(self, weights: Mapping[K, float]) -> None:
        items = [(key, weight) for key, weight in weights.items() if weight > 0]
        if not items:
            raise ValueError("Weighted: no positive weights")
        self.keys: list[K] = [key for key, _ in items]
        self.cum: list[float] = list(accumulate(weight for _, weight in items))

    def pick(self, rng: random.Random) -> K:
        return self.keys[bisect_right(self.cum, rng.random() * self.cum[-1])]


def stochastic_round(value: float, rng: random.Random) -> int:
    """``floor(value)`` plus one with probability ``frac(value)``: unbiased rounding of expected counts."""
    whole = math.floor(value)
    return whole + (1 if rng.random() < value - whole else 0)


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def _shift_to_weekday(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7) if day.weekday() >= 5 else day


def _minus_working_days(day: date, count: int) -> date:
    while count > 0:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _round_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _office_hours(moment: datetime, rng: random.Random) -> datetime:
    """Staff act on working days 8:00–19:00: later moments move to the next working morning."""
    if moment.weekday() < 5 and 8 <= moment.hour < 19:
        return moment
    day = moment.date() + timedelta(days=1) if moment.hour >= 19 else moment.date()
    day = _shift_to_weekday(day)
    return datetime.combine(day, time(9)) + timedelta(minutes=rng.randint(0, 480))


def check_vocabulary() -> list[str]:
    """Classifier codes named by the vocabularies that are missing from the classifier (should be empty)."""
    classifier = load_classifier()
    named = [code for family in vocab.FAMILIES for code, _ in family.codes]
    named += [c.topic for c in (*vocab.POS_CATEGORIES, *vocab.INCIDENT_RUBRICS) if c.topic != "unclassified"]
    return [code for code in named if code not in classifier or classifier[code].level < 4]


@dataclass
class World:
    """Everything the samplers share: territories, bodies, dates, and the seeded stream."""

    municipalities: list[Municipality]
    directory: list[Organization]
    date_from: date
    date_to: date
    dirty_rate: float

    def __post_init__(self) -> None:
        missing = check_vocabulary()
        if missing:
            raise RuntimeError(f"vocabulary names codes missing from the classifier: {missing}")
        self.by_oktmo = {m.oktmo: m for m in self.municipalities}
        self.orgs: dict[tuple[str, str], list[Organization]] = {}
        for org in self.directory:
            if org.municipality is not None:
                self.orgs.setdefault((org.municipality, org.role), []).append(org)
        self.days = [
            self.date_from + timedelta(days=offset)
            for offset in range((self.date_to - self.date_from).days + 1)
        ]
        classifier = load_classifier()
        self.topic_names = {code: topic.name for code, topic in classifier.items()}
        self.tail_codes = question_codes()

    def municipality_weights(self, rng: random.Random) -> Weighted[str]:
        """Bigger for urban okrugs, with a seeded spread so territories differ."""
        base = {"urban_okrug": 3.0, "municipal_okrug": 1.8, "municipal_district": 1.5}
        return Weighted({m.oktmo: base.get(m.kind, 1.0) * rng.uniform(0.6, 1.6) for m in self.municipalities})

    def day_sampler(self, feed: str, month_factor: Callable[[int], float]) -> Weighted[date]:
        weekday = vocab.WEEKDAY_WEIGHTS[feed]
        holiday = vocab.HOLIDAY_FACTOR[feed]
        return Weighted(
            {
                day: weekday[day.weekday()]
                * (holiday if (day.month, day.day) in vocab.HOLIDAYS else 1.0)
                * month_factor(day.month)
                for day in self.days
            }
        )

    def org(self, rng: random.Random, municipality: str, role: str) -> Organization:
        candidates = self.orgs.get((municipality, role)) or self.orgs[(municipality, "admin")]
        return rng.choice(candidates)


class MonthlyChoice(Generic[K]):
    """A categorical choice whose weights follow monthly seasonal multipliers."""

    def __init__(self, weights: Mapping[K, float], season: Mapping[K, Sequence[float]]) -> None:
        self.by_month = [
            Weighted({k: w * season[k][month] for k, w in weights.items()}) for month in range(12)
        ]
        total = sum(weights.values())
        self.totals = [sum(w * season[k][month] for k, w in weights.items()) / total for month in range(12)]

    def pick(self, rng: random.Random, month: int) -> K:
        return self.by_month[month - 1].pick(rng)

    def month_factor(self, month: int) -> float:
        return self.totals[month - 1]


_FAMILY_SEASON = {f.key: f.season for f in vocab.FAMILIES}


# --- register -------------------------------------------------------------------------------------


class RegisterSampler:
    def __init__(self, world: World, rng: random.Random) -> None:
        self.world, self.rng = world, rng
        self.families = MonthlyChoice({f.key: f.weight for f in vocab.FAMILIES}, _FAMILY_SEASON)
        self.codes = {f.key: Weighted(dict(f.codes)) for f in vocab.FAMILIES if f.codes}
        self.days = world.day_sampler("register", self.families.month_factor)
        self.origin = Weighted(vocab.ORIGIN_WEIGHTS)
        self.delay = Weighted({0: 55.0, 1: 25.0, 2: 12.0, 3: 8.0})
        self.channel = {origin: Weighted(w) for origin, w in vocab.CHANNEL_WEIGHTS_BY_ORIGIN.items()}
        self.appeal_type = Weighted(vocab.APPEAL_TYPE_WEIGHTS)
        self.personal_type = Weighted({"statement": 70.0, "complaint": 25.0, "proposal": 5.0})
        self.question_count = Weighted(vocab.QUESTION_COUNT_WEIGHTS)
        self.result = Weighted(vocab.FINAL_RESULT_WEIGHTS)
        self.result_not_transferred = Weighted(
            {k: w for k, w in vocab.FINAL_RESULT_WEIGHTS.items() if k != "transferred"}
        )
        self.satisfaction = Weighted(vocab.SATISFACTION_WEIGHTS)
        self.received_by = Weighted(vocab.RECEIVED_BY_WEIGHTS)
        self.municipality = world.municipality_weights(rng)
        self.number_format = {m.oktmo: rng.choice(REGISTER_NUMBER_FORMATS) for m in world.municipalities}

    def _code(self, family: vocab.Family) -> str:
        if family.key == "tail":
            return self.rng.choice(self.world.tail_codes)
        return self.codes[family.key].pick(self.rng)

    def _answer_day(self, registered: date, due: date, result: str, extended_to: date | None) -> date:
        rng = self.rng
        if result == "transferred":
            days = rng.randint(1, 7)
        elif extended_to is not None:
            return _shift_to_weekday(due + timedelta(days=rng.randint(1, (extended_to - due).days)))
        else:
            roll = rng.random()
            if roll < 0.35:
                days = rng.randint(3, 14)
            elif roll < 0.83:
                days = rng.randint(15, 28)
            elif roll < 0.93:
                days = rng.randint(29, 30)
            else:
                days = rng.randint(31, 45)
        return _shift_to_weekday(registered + timedelta(days=days))

    def _territory(self, municipality: Municipality) -> str:
        rng = self.rng
        code = municipality.oktmo
        if municipality.settlements and rng.random() < 0.3:
            code = rng.choice(municipality.settlements).oktmo
        if rng.random() < 0.05:
            code += f"{rng.randint(1, 30):03d}"
        return code

    def one(self, *, broken: bool = False) -> RegisterAppeal:
        rng, world = self.rng, self.world
        municipality = world.by_oktmo[self.municipality.pick(rng)]
        registered = self.days.pick(rng)
        origin = self.origin.pick(rng)
        channel = self.channel[origin].pick(rng)
        personal = channel in ("personal_reception", "field_reception")
        if personal or vocab.CHANNELS[channel].form == "oral":
            received = registered
        else:
            received = _minus_working_days(registered, self.delay.pick(rng))
        appeal_type = (self.personal_type if personal else self.appeal_type).pick(rng)
        count = 1 if broken else self.question_count.pick(rng)
        due = registered + timedelta(days=30)
        first_result = self.result.pick(rng)
        extended_to = (
            due + timedelta(days=30)
            if first_result != "transferred" and rng.random() < vocab.EXTENDED_SHARE
            else None
        )
        questions = []
        family = vocab.FAMILY_BY_KEY[self.families.pick(rng, registered.month)]
        for index in range(count):
            if index > 0 and rng.random() < 0.4:
                family = vocab.FAMILY_BY_KEY[self.families.pick(rng, registered.month)]
            code = self._code(family)
            if index == 0 or first_result == "transferred":
                result = first_result
            else:
                result = first_result if rng.random() < 0.7 else self.result_not_transferred.pick(rng)
            site_factor = 1.8 if family.key in ("roads", "improvement", "utilities") else 0.7
            questions.append(
                RegisterQuestion(
                    code=code,
                    name=world.topic_names[code],
                    result=result,
                    measures_taken=(rng.random() < vocab.MEASURES_TAKEN_SHARE)
                    if result == "supported"
                    else None,
                    by_commission=rng.random() < vocab.BY_COMMISSION_SHARE,
                    on_site=rng.random() < vocab.ON_SITE_SHARE * site_factor,
                    with_applicant=rng.random() < vocab.WITH_APPLICANT_SHARE,
                    executor=vocab.EXECUTOR_SHORT[family.executor],
                )
            )
        satisfaction = None
        if (
            first_result not in ("transferred", "left_without_answer")
            and rng.random() < vocab.SATISFACTION_FILLED_SHARE
        ):
            if first_result == "not_supported" and rng.random() < 0.7:
                satisfaction = "not_satisfied"
            else:
                satisfaction = self.satisfaction.pick(rng)
        collective = rng.random() < vocab.COLLECTIVE_SHARE
        return RegisterAppeal(
            body=municipality.oktmo,
            number="",
            received=received,
            registered=registered,
            appeal_type=appeal_type,
            channel=channel,
            origin=origin,
            is_collective=collective,
            is_repeat=rng.random() < vocab.REPEAT_SHARE,
            correspondent=fake.correspondent(rng, municipality, collective=collective),
            address=fake.address(rng, municipality),
            territory=self._territory(municipality),
            due=due,
            extended_to=extended_to,
            answered=self._answer_day(registered, due, first_result, extended_to),
            on_control=rng.random() < vocab.ON_CONTROL_SHARE,
            satisfaction=satisfaction,
            received_by=self.received_by.pick(rng) if personal else None,
            questions=questions,
            broken=broken,
        )

    def sample(self, count: int, broken: int) -> list[RegisterAppeal]:
        appeals = [self.one() for _ in range(count)] + [self.one(broken=True) for _ in range(broken)]
        order = sorted(
            range(len(appeals)), key=lambda i: (appeals[i].body, appeals[i].registered, self.rng.random())
        )
        counters: dict[tuple[str, int], int] = {}
        for index in order:
            appeal = appeals[index]
            key = (appeal.body, appeal.registered.year)
            counters[key] = counters.get(key, 0) + 1
            appeal.number = self.number_format[appeal.body].format(n=counters[key])
        return appeals


# --- ПОС ------------------------------------------------------------------------------------------


class PosSampler:
    def __init__(self, world: World, rng: random.Random) -> None:
        self.world, self.rng = world, rng
        self.categories = {c.name: c for c in vocab.POS_CATEGORIES}
        self.category = MonthlyChoice(
            {c.name: c.weight for c in vocab.POS_CATEGORIES},
            {c.name: _FAMILY_SEASON[c.family] for c in vocab.POS_CATEGORIES},
        )
        self.days = world.day_sampler("pos", self.category.month_factor)
        self.hour = Weighted(dict(enumerate(vocab.HOUR_WEIGHTS)))
        self.decision = Weighted({k: w for k, (w, _) in vocab.POS_DECISIONS.items()})
        self.rating = Weighted(vocab.POS_RATING_WEIGHTS)
        self.source = Weighted({k: w for k, w in vocab.POS_SOURCES.items() if k != "MED_DOC_EPGU"})
        self.municipality = world.municipality_weights(rng)
        self.staff: dict[str, tuple[str, str]] = {}

    def _staff(self, organization: str) -> tuple[str, str]:
        if organization not in self.staff:
            self.staff[organization] = (fake.full_name(self.rng), fake.full_name(self.rng))
        return self.staff[organization]

    def _receiving(self, municipality: Municipality, category: vocab.Category) -> Organization:
        rng, world = self.rng, self.world
        roll = rng.random()
        if category.role == "health":
            return world.org(rng, municipality.oktmo, "health" if roll < 0.6 else "admin")
        if roll < 0.45 or category.role == "admin":
            return world.org(rng, municipality.oktmo, "admin")
        if roll < 0.85 or not municipality.settlements:
            return world.org(rng, municipality.oktmo, category.role)
        return world.org(rng, municipality.oktmo, "settlement_admin")

    def one(self, *, broken: bool = False) -> PosMessage:
        rng, world = self.rng, self.world
        day = self.days.pick(rng)
        received = datetime.combine(day, time(self.hour.pick(rng), rng.randint(0, 59)))
        category = self.categories[self.category.pick(rng, day.month)]
        subcategory, facts = rng.choice(category.subcategories)
        municipality = world.by_oktmo[self.municipality.pick(rng)]
        org = self._receiving(municipality, category)
        name, topic, unmapped = category.name, category.topic, None
        org_name, org_municipality, org_territory = org.name, org.municipality, org.oktmo
        resolvable = None
        if not broken and rng.random() < world.dirty_rate:
            name, topic, unmapped = rng.choice(vocab.POS_UNKNOWN_CATEGORIES), "unclassified", "category"
            subcategory, facts = "", ("",)
        elif not broken and rng.random() < world.dirty_rate:
            resolvable = {"organization": org.name, "municipality": org.municipality, "territory": org.oktmo}
            org_name = unknown_body_name(municipality)
            org_municipality = org_territory = None
            unmapped = "organization"
        official = rng.random() < vocab.POS_OFFICIAL_SHARE
        fast_track = not official and rng.random() < vocab.POS_FAST_TRACK_SHARE
        if official:
            fz_label = rng.choice(vocab.POS_FZ_OFFICIAL) if rng.random() < 0.8 else None
        else:
            fz_label = vocab.POS_FZ_MESSAGE if rng.random() < 0.95 else None
        due_days = 30 if official else (1 if fast_track else 10)
        due = datetime.combine(day + timedelta(days=due_days), time(23, 59))
        taken = received + timedelta(hours=min(72.0, max(0.1, lognormal(rng, 3.0, 1.0))))
        taken = _round_minute(_office_hours(taken, rng))
        decision = self.decision.pick(rng)
        if decision == "Отклонено":
            closed = taken + timedelta(hours=rng.uniform(1, 48))
        elif rng.random() < (0.08 if official else 0.09):
            closed = due + timedelta(days=rng.uniform(0.2, 12))
        elif official:
            closed = taken + timedelta(days=rng.uniform(4, due_days - 1))
        else:
            span = (due - taken).total_seconds() / 86400
            closed = taken + timedelta(
                days=min(max(0.05, lognormal(rng, 3.0 if due_days > 1 else 0.4, 0.7)), span)
            )
        closed = _round_minute(_office_hours(max(closed, taken + timedelta(minutes=30)), rng))
        rating = rated_at = None
        repeat_review = False
        if decision != "Отклонено" and rng.random() < vocab.POS_RATED_SHARE:
            rating = self.rating.pick(rng)
            rated_at = _round_minute(closed + timedelta(hours=rng.uniform(1, 72)))
            repeat_review = rating <= 2 and rng.random() < 0.25
        redirect_to = redirect_at = None
        if rng.random() < vocab.POS_REDIRECT_SHARE and org_municipality is not None:
            target = world.org(
                rng, municipality.oktmo, rng.choice(("zhkh", "roads", "architecture", "property"))
            )
            moment = _round_minute(taken + timedelta(hours=rng.uniform(1, 12)))
            if target.name != org_name and moment < closed:
                redirect_to, redirect_at = target.name, moment
        interim_at = None
        if closed - taken > timedelta(days=5) and rng.random() < 0.3:
            interim_at = _round_minute(taken + (closed - taken) / 2)
        coordinator, head = self._staff(org_name)
        source = "MED_DOC_EPGU" if category.role == "health" and rng.random() < 0.4 else self.source.pick(rng)
        return PosMessage(
            number="",
            epgu_number=None,
            source_tag=source,
            region_name=municipality.region_name,
            category=name,
            subcategory=subcategory,
            fact=rng.choice(facts),
            topic=topic,
            organization=org_name,
            municipality=org_municipality,
            territory=org_territory,
            received=received,
            due=due,
            taken=taken,
            closed=closed,
            decision=decision,
            is_official=official,
            fz_label=fz_label,
            fast_track=fast_track,
            foiv_email=rng.random() < vocab.POS_FOIV_EMAIL_SHARE,
            rating=rating,
            rated_at=rated_at,
            repeat_review=repeat_review,
            redirect_to=redirect_to,
            redirect_at=redirect_at,
            interim_at=interim_at,
            coordinator=coordinator,
            executor=fake.full_name(rng),
            head=head,
            unmapped=unmapped,
            broken=broken,
            resolvable=resolvable,
        )

    def sample(self, count: int, broken: int) -> list[PosMessage]:
        messages = [self.one() for _ in range(count)] + [self.one(broken=True) for _ in range(broken)]
        for message in messages:
            # a restored body keeps its own coordinator and head when it has any (no draws here)
            if message.resolvable is not None and message.resolvable["organization"] in self.staff:
                staff = self.staff[message.resolvable["organization"]]
                message.resolvable["coordinator"], message.resolvable["head"] = staff
        if self.world.dirty_rate > 0 and count > 0:
            # unresolvable bodies are bounded and ensured per file, once files are planned (``core``)
            _ensure_unmapped(messages, ("category",), self._force_unmapped, self.rng)
        messages.sort(key=lambda m: (m.received, self.rng.random()))
        number = self.rng.randint(150_000_000, 250_000_000)
        used: set[int] = set()
        for message in messages:
            number += self.rng.randint(1, 400)
            message.number = str(number)
            if self.rng.random() < 0.85:
                epgu = self.rng.randint(1_000_000_000, 4_999_999_999)
                while epgu in used:
                    epgu += 1
                used.add(epgu)
                message.epgu_number = str(epgu)
        return messages

    def _force_unmapped(self, message: PosMessage, kind: str) -> None:
        message.category = vocab.POS_UNKNOWN_CATEGORIES[0]
        message.subcategory, message.fact, message.topic = "", "", "unclassified"
        message.unmapped = kind


def unknown_body_name(municipality: Municipality) -> str:
    """A receiving body that is not in the directory (``reference/organizations.csv``)."""
    return f"МКУ «Служба единого заказчика» МО «{municipality.title}»"


TERRITORY_UNMAPPED: dict[str, str] = {"pos": "organization", "incident": "municipality"}
"""The ``unmapped`` kind of each feed whose rows then resolve to no territory."""


def can_make_unresolvable(record: PosMessage | Incident) -> bool:
    """A clean record with a resolvable territory (a ПОС message not redirected: unknown bodies never are)."""
    if record.broken or record.unmapped is not None:
        return False
    return not isinstance(record, PosMessage) or record.redirect_to is None


def make_unresolvable(record: PosMessage | Incident, world: World, rng: random.Random) -> None:
    """Give a record (see :func:`can_make_unresolvable`) a territory that resolves to nothing, restorably."""
    if not can_make_unresolvable(record):
        raise ValueError(f"{record.appeal_id}: cannot be made unresolvable")
    if isinstance(record, PosMessage):
        record.resolvable = {
            "organization": record.organization,
            "municipality": record.municipality,
            "territory": record.territory,
        }
        municipality = world.by_oktmo[record.municipality or world.municipalities[0].oktmo]
        record.organization = unknown_body_name(municipality)
        record.municipality = record.territory = None
    else:
        record.resolvable = {
            "municipality_written": record.municipality_written,
            "oktmo_written": record.oktmo_written,
            "municipality": record.municipality,
        }
        record.municipality_written = rng.choice(vocab.UNKNOWN_PLACE_NAMES)
        record.oktmo_written = record.municipality = None
    record.unmapped = TERRITORY_UNMAPPED[record.source]


def _ensure_unmapped(
    records: Sequence[PosMessage] | Sequence[Incident],
    kinds: Sequence[str],
    force: Callable,  # type: ignore[type-arg]
    rng: random.Random,
) -> None:
    """When messiness is on, make sure every kind of unmapped value occurs at least once."""
    for kind in kinds:
        if any(r.unmapped == kind for r in records):
            continue
        clean = [r for r in records if r.unmapped is None and not r.broken]
        if clean:
            force(rng.choice(clean), kind)


# --- incidents ------------------------------------------------------------------------------------


class IncidentSampler:
    def __init__(self, world: World, rng: random.Random) -> None:
        self.world, self.rng = world, rng
        self.rubrics = {c.name: c for c in vocab.INCIDENT_RUBRICS}
        self.rubric = MonthlyChoice(
            {c.name: c.weight for c in vocab.INCIDENT_RUBRICS},
            {c.name: _FAMILY_SEASON[c.family] for c in vocab.INCIDENT_RUBRICS},
        )
        self.days = world.day_sampler("incident", self.rubric.month_factor)
        self.hour = Weighted(dict(enumerate(vocab.HOUR_WEIGHTS)))
        self.network = Weighted(vocab.SOCIAL_NETWORKS)
        self.message_type = Weighted({k: w for k, (w, _) in vocab.MESSAGE_TYPES.items()})
        self.municipality = world.municipality_weights(rng)

    def one(self, *, broken: bool = False) -> Incident:
        rng, world = self.rng, self.world
        day = self.days.pick(rng)
        registered = datetime.combine(day, time(self.hour.pick(rng), rng.randint(0, 59), rng.randint(0, 59)))
        published = registered - timedelta(minutes=min(36 * 60.0, lognormal(rng, 35.0, 1.2)))
        published = published.replace(microsecond=0)
        spam = rng.random() < vocab.INCIDENT_SPAM_SHARE
        if spam and rng.random() < 0.8:
            rubric = self.rubrics["Прочее"]
        else:
            rubric = self.rubrics[self.rubric.pick(rng, day.month)]
        municipality = world.by_oktmo[self.municipality.pick(rng)]
        variants = municipality.spelling_variants()
        written = variants[0] if rng.random() < 0.4 or len(variants) == 1 else rng.choice(variants[1:])
        oktmo_written = municipality.oktmo if rng.random() < vocab.INCIDENT_OKTMO_FILLED_SHARE else None
        resolved: str | None = municipality.oktmo
        unmapped = resolvable = None
        if not broken and rng.random() < world.dirty_rate:
            resolvable = {
                "municipality_written": written,
                "oktmo_written": oktmo_written,
                "municipality": resolved,
            }
            written, oktmo_written, resolved, unmapped = (
                rng.choice(vocab.UNKNOWN_PLACE_NAMES),
                None,
                None,
                "municipality",
            )
        network = self.network.pick(rng)
        subtopic, templates = rng.choice(rubric.subcategories)
        taken = registered + timedelta(minutes=rng.uniform(5, 180))
        answered = approval_at = closed = rejected = None
        if spam:
            if rng.random() < 0.85:
                rejected = taken + timedelta(hours=rng.uniform(0.5, 12))
            else:
                closed = taken + timedelta(hours=rng.uniform(0.5, 12))
        elif rng.random() < vocab.INCIDENT_REJECTED_SHARE:
            rejected = taken + timedelta(hours=rng.uniform(0.5, 24))
        else:
            answered = max(
                taken + timedelta(minutes=10),
                registered + timedelta(hours=min(240.0, lognormal(rng, 5.0, 1.0))),
            )
            if rng.random() < 0.4:
                approval_at = taken + (answered - taken) * 0.6
            if rng.random() < 0.6:
                closed = answered + timedelta(hours=rng.uniform(1, 72))

        def second(moment: datetime | None) -> datetime | None:
            return moment.replace(microsecond=0) if moment is not None else None

        return Incident(
            incident_id="",
            published=published,
            registered=registered,
            network=network,
            link=fake.post_link(rng, network),
            author=fake.social_author(rng),
            text=fake.incident_text(rng, templates, spam=spam),
            rubric=rubric.name,
            subtopic=subtopic,
            topic=rubric.topic,
            municipality_written=written,
            oktmo_written=oktmo_written,
            municipality=resolved,
            executor=world.org(rng, municipality.oktmo, rubric.role).name,
            message_type=self.message_type.pick(rng),
            is_spam=spam,
            reach=int(min(500_000, lognormal(rng, 1200, 1.3))),
            taken=taken.replace(microsecond=0),
            approval_at=second(approval_at),
            answered=second(answered),
            closed=second(closed),
            rejected=second(rejected),
            unmapped=unmapped,
            broken=broken,
            resolvable=resolvable,
        )

    def sample(self, count: int, broken: int) -> list[Incident]:
        # unresolvable municipalities are bounded and ensured per file, once files are planned (``core``)
        incidents = [self.one() for _ in range(count)] + [self.one(broken=True) for _ in range(broken)]
        incidents.sort(key=lambda i: (i.registered, self.rng.random()))
        number = self.rng.randint(40_000_000, 90_000_000)
        for incident in incidents:
            number += self.rng.randint(1, 50)
            incident.incident_id = str(number)
        return incidents
