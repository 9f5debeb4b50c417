"""The export layouts the generator writes, as data (see ``docs/sources.md``).

Each feed is an ordered tuple of ``(header, kind)``; the order is the column order of a clean export and the
kind tells the formatter how to write a value (``date`` → ``dd.mm.yyyy``, ``datetime`` → ``dd.mm.yyyy hh:mm``,
``bool`` → ``Да``/``Нет``, ``int``, ``text``).
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["text", "date", "datetime", "bool", "int"]
Feed = Literal["pos", "incident", "register"]

FEEDS: tuple[Feed, ...] = ("register", "pos", "incident")

REGISTER_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("№ РК", "text"),
    ("Дата рег.", "date"),
    ("Дата поступления", "date"),
    ("Вид обращения", "text"),
    ("Форма", "text"),
    ("Вид доставки", "text"),
    ("Поступило из", "text"),
    ("Коллективное", "bool"),
    ("Повторное", "bool"),
    ("Корреспондент", "text"),
    ("Адрес", "text"),
    ("ОКТМО", "text"),
    ("Код вопроса", "text"),
    ("Вопрос", "text"),
    ("Результат", "text"),
    ("Меры приняты", "bool"),
    ("Срок", "date"),
    ("Продлено до", "date"),
    ("Дата ответа", "date"),
    ("На контроле", "bool"),
    ("Комиссионно", "bool"),
    ("С выездом на место", "bool"),
    ("С участием автора", "bool"),
    ("Удовлетворенность", "text"),
    ("Исполнитель", "text"),
    ("Принял", "text"),
)

POS_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("Номер", "text"),
    ("Номер ЕПГУ", "text"),
    ("Источник", "text"),
    ("Верхнеуровневый ЛКО", "text"),
    ("Категория", "text"),
    ("Подкатегория", "text"),
    ("Факт", "text"),
    ("Организация, в которую поступило сообщение", "text"),
    ("Организация, в которой находится сообщение", "text"),
    ("Дата поступления", "datetime"),
    ("Дата планируемого завершения работ", "datetime"),
    ("Дата фактического завершения работ", "datetime"),
    ("Стадия", "text"),
    ("Статус", "text"),
    ("Просрочено", "bool"),
    ("Фаст-трек", "bool"),
    ("ФЗ", "text"),
    ("Заявитель выбрал подачу по 59-ФЗ", "bool"),
    ("Тип решения", "text"),
    ("Направлено по email в ФОИВ, не подключенный к ПОС", "bool"),
    ("Оценка ответа заявителем", "int"),
    ("Повторное рассмотрение", "bool"),
    ("ФИО координатора", "text"),
    ("ФИО исполнителя", "text"),
    ("ФИО руководителя", "text"),
)

INCIDENT_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("ID инцидента", "text"),
    ("Дата публикации", "datetime"),
    ("Дата регистрации", "datetime"),
    ("Соцсеть", "text"),
    ("Ссылка", "text"),
    ("Автор", "text"),
    ("Текст", "text"),
    ("Направление", "text"),
    ("Подтема", "text"),
    ("Муниципальное образование", "text"),
    ("ОКТМО", "text"),
    ("Статус", "text"),
    ("Исполнитель", "text"),
    ("Дата ответа", "datetime"),
    ("Тип сообщения", "text"),
    ("Спам", "bool"),
    ("Охват", "int"),
)

COLUMNS: dict[Feed, tuple[tuple[str, Kind], ...]] = {
    "register": REGISTER_COLUMNS,
    "pos": POS_COLUMNS,
    "incident": INCIDENT_COLUMNS,
}

REQUIRED: dict[Feed, tuple[str, ...]] = {
    "register": (
        "№ РК",
        "Дата рег.",
        "Вид обращения",
        "Форма",
        "Вид доставки",
        "Поступило из",
        "ОКТМО",
        "Код вопроса",
        "Результат",
    ),
    "pos": (
        "Номер",
        "Категория",
        "Организация, в которую поступило сообщение",
        "Дата поступления",
        "Стадия",
    ),
    "incident": (
        "ID инцидента",
        "Дата публикации",
        "Соцсеть",
        "Направление",
        "Муниципальное образование",
        "Статус",
    ),
}

ORGANIZATIONS_HEADER: tuple[str, str, str] = ("Организация", "ОКТМО", "Уровень")


def headers(feed: Feed) -> list[str]:
    """The contract's headers of ``feed`` in export order."""
    return [name for name, _ in COLUMNS[feed]]
