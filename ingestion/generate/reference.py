"""Reference data the generator draws from: the thematic classifier, ОКТМО, and the directory of bodies.

The classifier and ОКТМО are the project's dbt seeds (``dbt_project/seeds/reference``); the directory of
bodies (``reference/organizations.csv`` of a landing folder) is derived here from the chosen territories.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "reference"

MAX_MUNICIPALITIES_PER_REGION = 10

_GROUP_PREFIXES = (
    "Муниципальные ",
    "Городские округа",
    "Городские поселения",
    "Сельские поселения",
    "Межселенн",
    "Внутригородские",
)

_REGION_NOMINATIVE_OVERRIDES = {
    "Города Санкт-Петербурга (города федерального значения)": "Санкт-Петербург",
    "города Москвы (столицы Российской Федерации города федерального значения)": "Москва",
    "города федерального значения Севастополя": "Севастополь",
    "Республики Адыгеи (Адыгеи)": "Республика Адыгея",
    "Республики Татарстан (Татарстана)": "Республика Татарстан",
    "Республики Тывы": "Республика Тыва",
}
_WORD_NOMINATIVE = {
    "области": "область",
    "края": "край",
    "округа": "округ",
    "Республики": "Республика",
    "Кузбасса": "Кузбасс",
    "Югры": "Югра",
}


@dataclass(frozen=True)
class Topic:
    """One classifier entry; ``code`` (the full dotted code) is the key."""

    code: str
    level: int
    name: str
    section_code: str


@dataclass(frozen=True)
class Settlement:
    oktmo: str
    name: str

    @property
    def is_urban(self) -> bool:
        return self.oktmo[5] == "1"


@dataclass(frozen=True)
class Municipality:
    """A municipality (``RRMMM000``) with its region and settlements."""

    oktmo: str
    name: str
    kind: str  # urban_okrug | municipal_district | municipal_okrug | intracity | other
    region_oktmo: str
    region_genitive: str
    region_name: str
    settlements: tuple[Settlement, ...]

    @property
    def is_urban(self) -> bool:
        return self.kind in ("urban_okrug", "intracity")

    @property
    def base_name(self) -> str:
        """The bare place name: ``город Томск`` → ``Томск``, ``Муниципальный район Печора`` → ``Печора``."""
        name = re.sub(r"^(город|поселок|ЗАТО|городской округ|муниципальный округ)\s+", "", self.name)
        name = re.sub(r"^Муниципальный (район|округ)\s+", "", name)
        return name

    @property
    def adjective(self) -> str | None:
        """``Новокузнецкий`` for ``Новокузнецкий муниципальный район``; None if the name is a noun."""
        match = re.match(r"^([А-ЯЁ][а-яё-]+(?:ий|ый|ой))\b", self.name)
        return match.group(1) if match else None

    @property
    def title(self) -> str:
        """The name as it appears inside «» in body names: ``Город Томск``, ``Ухта``."""
        return self.name[:1].upper() + self.name[1:]

    @property
    def place_label(self) -> str:
        """How applicants write their place after the dash in ``Фамилия И.О. - Город``."""
        if self.is_urban and self.adjective is None:
            return self.base_name
        if self.adjective is not None:
            return f"{self.adjective} р-н" if "район" in self.name else self.adjective
        return self.base_name

    def spelling_variants(self) -> tuple[str, ...]:
        """How operators write the municipality: the ОКТМО name first, then common (resolvable) variants."""
        base, adj = self.base_name, self.adjective
        variants = [self.name]
        if self.is_urban and adj is None:
            variants += [f"г. {base}", base, f'МО ГО "{base}"', f"городской округ {base}", f"г.{base}"]
        elif self.is_urban:
            variants += [f"{adj} городской округ", f'ГО "{adj}"', f"{adj} ГО"]
        elif adj is not None:
            noun = "район" if "район" in self.name else "округ"
            short = "МР" if noun == "район" else "МО"
            variants += [
                f"{adj} {noun}",
                f"{adj} р-н" if noun == "район" else f"{adj} МО",
                f'{short} "{adj} {noun}"',
            ]
        else:
            variants += [base, f'МО "{base}"']
        seen: dict[str, None] = {}
        for variant in variants:
            seen.setdefault(variant, None)
        return tuple(seen)


@dataclass(frozen=True)
class Organization:
    """A row of ``reference/organizations.csv``: a body, its territory and level."""

    name: str
    oktmo: str
    level: str  # регион | муниципалитет | поселение | ведомство
    role: str  # admin | zhkh | roads | education | architecture | property | culture | social | health | ...
    municipality: str | None  # owning municipality's ОКТМО (None for regional bodies)


def _read_csv(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@functools.lru_cache(maxsize=1)
def load_classifier() -> dict[str, Topic]:
    """All classifier entries keyed by full code."""
    return {
        row["code"]: Topic(row["code"], int(row["level"]), row["name"], row["section_code"])
        for row in _read_csv("classifier.csv")
    }


@functools.lru_cache(maxsize=1)
def question_codes() -> tuple[str, ...]:
    """Level-4 and level-5 codes: the only ones a question may carry."""
    return tuple(code for code, topic in load_classifier().items() if topic.level >= 4)


@functools.lru_cache(maxsize=1)
def load_oktmo() -> dict[str, str]:
    """ОКТМО code → name."""
    return {row["oktmo"]: row["name"].strip() for row in _read_csv("oktmo_municipalities.csv")}


def _is_group(name: str) -> bool:
    return name.startswith(_GROUP_PREFIXES)


def region_nominative(genitive: str) -> str:
    """``Томской области`` → ``Томская область`` (good enough for the ``Верхнеуровневый ЛКО`` column)."""
    if genitive in _REGION_NOMINATIVE_OVERRIDES:
        return _REGION_NOMINATIVE_OVERRIDES[genitive]
    words = []
    for word in genitive.split(" "):
        if word in _WORD_NOMINATIVE:
            word = _WORD_NOMINATIVE[word]
        elif word.endswith("ской"):
            word = word[:-4] + "ская"
        elif word.endswith("ной"):
            word = word[:-3] + "ная"
        elif word.endswith("ского"):
            word = word[:-5] + "ский"
        elif word.endswith("ного"):
            word = word[:-4] + "ный"
        elif word.endswith("ии"):
            word = word[:-2] + "ия"
        words.append(word)
    return " ".join(words)


def _kind(code: str, name: str) -> str:
    digit = code[2]
    if digit == "7" or name.startswith(("город ", "городской округ", "ЗАТО")):
        return "urban_okrug"
    if digit == "5" or ("муниципальный округ" in name.lower() and digit != "3"):
        return "municipal_okrug"
    if digit == "6" or "муниципальный район" in name.lower():
        return "municipal_district"
    if digit == "3":
        return "intracity"
    return "other"


@functools.cache
def _municipality(code: str) -> Municipality:
    oktmo = load_oktmo()
    region_code = code[:2] + "000000"
    region_genitive = oktmo.get(region_code, "").removeprefix("Муниципальные образования ").strip()
    settlements = tuple(
        Settlement(other, name)
        for other, name in oktmo.items()
        if other.startswith(code[:5]) and other[5:] != "000" and not _is_group(name)
    )
    name = oktmo[code]
    return Municipality(
        oktmo=code,
        name=name,
        kind=_kind(code, name),
        region_oktmo=region_code,
        region_genitive=region_genitive,
        region_name=region_nominative(region_genitive),
        settlements=settlements,
    )


def _is_municipality(code: str, name: str) -> bool:
    return code.endswith("000") and not code.endswith("00000") and not _is_group(name)


def _region_municipalities(region_code: str) -> list[str]:
    oktmo = load_oktmo()
    candidates = [
        code for code, name in oktmo.items() if code[:2] == region_code[:2] and _is_municipality(code, name)
    ]
    order = {"urban_okrug": 0, "municipal_okrug": 1, "municipal_district": 2, "intracity": 3, "other": 4}
    candidates.sort(key=lambda code: (order[_kind(code, oktmo[code])], code))
    return candidates[:MAX_MUNICIPALITIES_PER_REGION]


def resolve_territories(codes: Sequence[str]) -> list[Municipality]:
    """Municipalities for the requested ОКТМО codes, in request order, without repeats.

    A municipality code (``RRMMM000``) stands for itself; a region code (``RR000000``) for up to
    :data:`MAX_MUNICIPALITIES_PER_REGION` of its municipalities (urban okrugs first). Anything else raises
    ``ValueError`` naming the code.
    """
    oktmo = load_oktmo()
    result: dict[str, Municipality] = {}
    if not codes:
        raise ValueError("territories: at least one ОКТМО code is required")
    for raw in codes:
        code = str(raw).strip()
        if not re.fullmatch(r"\d{8}", code) or code not in oktmo:
            raise ValueError(f"territories: unknown ОКТМО code {raw!r} (expected an 8-digit code from ОКТМО)")
        if code.endswith("000000"):
            for member in _region_municipalities(code):
                result.setdefault(member, _municipality(member))
        elif _is_municipality(code, oktmo[code]):
            result.setdefault(code, _municipality(code))
        else:
            raise ValueError(
                f"territories: ОКТМО code {code!r} ({oktmo[code]}) is neither a municipality (RRMMM000) "
                "nor a region (RR000000)"
            )
    if not result:
        raise ValueError(f"territories: no municipalities found for {list(codes)!r}")
    return list(result.values())


_DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("zhkh", "Управление жилищно-коммунального хозяйства администрации МО «{title}»"),
    ("roads", "Управление дорожного хозяйства и благоустройства администрации МО «{title}»"),
    ("education", "Управление образования администрации МО «{title}»"),
    ("architecture", "Отдел архитектуры и градостроительства администрации МО «{title}»"),
    ("property", "Комитет по управлению муниципальным имуществом администрации МО «{title}»"),
    ("culture", "Управление культуры, спорта и молодежной политики администрации МО «{title}»"),
    ("social", "Отдел социальной политики администрации МО «{title}»"),
)


def _settlement_admin_name(settlement: Settlement) -> str:
    name = settlement.name
    kind = "городского поселения" if settlement.is_urban else "сельского поселения"
    if re.fullmatch(r"[А-ЯЁ][а-яё-]+ое", name):
        return f"Администрация {name[:-2]}ого {kind}"
    return f"Администрация муниципального образования «{name}»"


def build_directory(municipalities: Sequence[Municipality]) -> list[Organization]:
    """The bodies of the chosen territories: region administrations and departments, municipal administrations
    and departments, a municipal hospital, and settlement administrations. Names are unique."""
    orgs: list[Organization] = []
    seen_regions: list[str] = []
    for municipality in municipalities:
        if municipality.region_oktmo not in seen_regions:
            seen_regions.append(municipality.region_oktmo)
            gen, region = municipality.region_genitive, municipality.region_oktmo
            orgs += [
                Organization(f"Администрация {gen}", region, "регион", "region_admin", None),
                Organization(
                    f"Департамент здравоохранения {gen}", region, "ведомство", "region_health", None
                ),
                Organization(
                    f"Департамент ЖКХ и государственного жилищного надзора {gen}",
                    region,
                    "ведомство",
                    "region_zhkh",
                    None,
                ),
            ]
        title, code = municipality.title, municipality.oktmo
        orgs.append(
            Organization(
                f"Администрация муниципального образования «{title}»", code, "муниципалитет", "admin", code
            )
        )
        orgs += [
            Organization(template.format(title=title), code, "ведомство", role, code)
            for role, template in _DEPARTMENTS
        ]
        hospital = "городская" if municipality.is_urban else "районная"
        orgs.append(
            Organization(
                f"ГБУЗ «Центральная {hospital} больница» МО «{title}»", code, "ведомство", "health", code
            )
        )
        orgs += [
            Organization(_settlement_admin_name(s), s.oktmo, "поселение", "settlement_admin", code)
            for s in municipality.settlements
        ]
    unique: dict[str, Organization] = {}
    for org in orgs:
        if org.name in unique and org.municipality is not None:
            org = replace(org, name=f"{org.name} ({load_oktmo()[org.municipality]})")
        unique.setdefault(org.name, org)
    return list(unique.values())
