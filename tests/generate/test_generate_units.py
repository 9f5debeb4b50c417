"""Properties of the generator's building blocks."""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta

from generate_helpers import normalize_header
from hypothesis import given
from hypothesis import strategies as st

from ingestion.generate.contract import COLUMNS
from ingestion.generate.core import periods
from ingestion.generate.messiness import header_variant
from ingestion.generate.reference import build_directory, resolve_territories
from ingestion.generate.sampling import check_vocabulary

ALL_HEADERS = sorted({h for columns in COLUMNS.values() for h, _ in columns})


@given(
    start=st.dates(min_value=date(2019, 1, 1), max_value=date(2030, 12, 31)),
    length=st.integers(min_value=0, max_value=800),
    split=st.sampled_from(["day", "week", "month", "all"]),
)
def test_periods_tile_the_range_in_label_order(start: date, length: int, split: str) -> None:
    end = start + timedelta(days=length)
    result = periods(start, end, split)
    assert result[0].start == start and result[-1].end == end
    for before, after in itertools.pairwise(result):
        assert after.start == before.end + timedelta(days=1)
    assert all(p.start <= p.end for p in result)
    labels = [p.label for p in result]
    assert labels == sorted(labels) and len(set(labels)) == len(labels)


@given(header=st.sampled_from(ALL_HEADERS), seed=st.integers(min_value=0, max_value=10_000))
def test_header_variants_still_match_the_contract(header: str, seed: int) -> None:
    variant = header_variant(header, random.Random(seed))
    assert variant != header
    assert normalize_header(variant) == normalize_header(header)


def test_vocabulary_codes_exist_in_the_classifier() -> None:
    assert check_vocabulary() == []


def test_directory_names_are_unique_and_levels_known() -> None:
    municipalities = resolve_territories(["69000000", "32619000", "87725000"])
    directory = build_directory(municipalities)
    names = [o.name for o in directory]
    assert len(names) == len(set(names))
    assert {o.level for o in directory} == {"регион", "муниципалитет", "ведомство", "поселение"}
    for org in directory:
        if org.level == "поселение":
            assert org.oktmo[:5] + "000" == org.municipality and org.oktmo[5:] != "000"
        elif org.level == "регион":
            assert org.oktmo.endswith("000000")


def test_spelling_variants_include_the_contract_examples() -> None:
    (ukhta,) = resolve_territories(["87725000"])
    assert {"Ухта", "г. Ухта", 'МО ГО "Ухта"'} <= set(ukhta.spelling_variants())
    (district,) = resolve_territories(["32619000"])
    assert "Новокузнецкий муниципальный район" in district.spelling_variants()
    assert district.region_name == "Кемеровская область"
