"""Build small export files the way upstream systems write them, for loader tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

REGISTER_HEADERS = [
    "№ РК",
    "Дата рег.",
    "Вид обращения",
    "Форма",
    "Вид доставки",
    "Поступило из",
    "Корреспондент",
    "Адрес",
    "ОКТМО",
    "Код вопроса",
    "Результат",
    "Меры приняты",
    "Дата ответа",
]
POS_HEADERS = [
    "Номер",
    "Категория",
    "Организация, в которую поступило сообщение",
    "Дата поступления",
    "Стадия",
    "Статус",
    "ФЗ",
    "Тип решения",
    "Оценка ответа заявителем",
    "ФИО исполнителя",
]
INCIDENT_HEADERS = [
    "ID инцидента",
    "Дата публикации",
    "Соцсеть",
    "Автор",
    "Текст",
    "Направление",
    "Муниципальное образование",
    "ОКТМО",
    "Статус",
    "Спам",
]
ORGANIZATION_HEADERS = ["Организация", "ОКТМО", "Уровень"]


def write_csv(
    path: Path,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ";",
    title_lines: Sequence[str] = (),
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for title in title_lines:
        buffer.write(title + "\r\n")
    writer.writerow(headers)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(
    path: Path, headers: Sequence[str], rows: Sequence[Sequence[object]], *, title_lines: Sequence[str] = ()
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    sheet = book.active
    for title in title_lines:
        sheet.append([title])
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def organizations(landing: Path) -> Path:
    return write_csv(
        landing / "reference" / "organizations.csv",
        ORGANIZATION_HEADERS,
        [
            ['Администрация МО ГО "Ухта"', "87725000", "муниципалитет"],
            ["Администрация города Томска", "69701000", "муниципалитет"],
            ["Администрация Томской области", "69000000", "регион"],
        ],
    )


def register_row(
    number: int, *, date: str = "15.01.2024", result: str = "Разъяснено", **overrides: object
) -> list:
    values = {
        "№ РК": f"{number}",
        "Дата рег.": date,
        "Вид обращения": "Заявление",
        "Форма": "Письменная",
        "Вид доставки": "Почта России",
        "Поступило из": "Непосредственно от заявителя",
        "Корреспондент": f"Тестов{number} Т.Т. - Ухта",
        "Адрес": f"ул. Пушкина, д. {number}",
        "ОКТМО": "87725000",
        "Код вопроса": "0005.0005.0056.1169",
        "Результат": result,
        "Меры приняты": "",
        "Дата ответа": "",
    }
    values.update(overrides)
    return [values[h] for h in REGISTER_HEADERS]


def pos_row(number: int, org: str = "Администрация города Томска", **overrides: object) -> list:
    values = {
        "Номер": str(number),
        "Категория": "ЖКХ",
        "Организация, в которую поступило сообщение": org,
        "Дата поступления": "15.01.2024 10:00",
        "Стадия": "Завершено",
        "Статус": "Отправлен ответ заявителю",
        "ФЗ": "Обычное сообщение",
        "Тип решения": "Разъяснено",
        "Оценка ответа заявителем": "5",
        "ФИО исполнителя": "Иванов И.И.",
    }
    values.update(overrides)
    return [values[h] for h in POS_HEADERS]
