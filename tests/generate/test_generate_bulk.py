"""``write_register_csv``: exact row count, Windows-1251, 26 valid columns, streaming order."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from ingestion.generate import write_register_csv
from ingestion.generate.contract import headers
from ingestion.generate.reference import load_classifier


def _rows(path: Path, encoding: str) -> list[list[str]]:
    text = path.read_bytes().decode(encoding)  # strict: every byte must decode
    assert text.endswith("\r\n")
    return list(csv.reader(text[:-2].split("\r\n"), delimiter=";"))


def test_writes_the_requested_rows_in_cp1251(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    write_register_csv(path, 7_001, seed=2)
    rows = _rows(path, "cp1251")
    assert rows[0] == headers("register")
    data = rows[1:]
    assert len(data) == 7_001
    assert all(len(row) == 26 for row in data)
    classifier = load_classifier()
    column = {name: index for index, name in enumerate(rows[0])}
    assert all(classifier[row[column["Код вопроса"]]].level >= 4 for row in data)
    assert {row[column["ОКТМО"]][:5] for row in data} == {"87725"}
    registered = [datetime.strptime(row[column["Дата рег."]], "%d.%m.%Y") for row in data]
    assert registered == sorted(registered)
    assert all(day.weekday() < 5 for day in registered)
    by_number: dict[str, set[datetime]] = {}
    for row, day in zip(data, registered, strict=True):
        by_number.setdefault(row[column["№ РК"]], set()).add(day)
        received = datetime.strptime(row[column["Дата поступления"]], "%d.%m.%Y")
        assert received <= day
        if row[column["Дата ответа"]]:
            assert datetime.strptime(row[column["Дата ответа"]], "%d.%m.%Y") >= day
    assert all(len(days) == 1 for days in by_number.values())
    assert 1.0 < len(data) / len(by_number) < 1.35  # one row per question, mostly one question per appeal


def test_zero_rows_writes_only_the_header(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    write_register_csv(path, 0)
    assert _rows(path, "cp1251") == [headers("register")]


def test_other_territory_and_encoding(tmp_path: Path) -> None:
    path = tmp_path / "gk.csv"
    write_register_csv(path, 500, encoding="utf-8", territory="03709000")
    rows = _rows(path, "utf-8")
    assert len(rows) == 501
    assert {row[11][:5] for row in rows[1:]} == {"03709"}
    assert any(row[9].endswith(" - Горячий Ключ") for row in rows[1:])
