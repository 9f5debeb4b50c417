"""Obviously fake but realistic personal data: names, phones, e-mails, addresses, social-network posts.

Names are common Russian surnames with initials; phones are ``+7 9xx xxx-xx-xx``; e-mails live under
``example.ru``/``example.com``; every string is representable in Windows-1251.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from ingestion.generate.reference import Municipality
from ingestion.generate.vocab import SPAM_TEXTS


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SURNAMES: tuple[str, ...] = _words(
    """Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Федоров Морозов Волков
    Алексеев Лебедев Семенов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин Захаров
    Зайцев Соловьев Борисов Яковлев Григорьев Романов Воробьев Сергеев Кузьмин Фролов Александров Дмитриев
    Королев Гусев Киселев Ильин Максимов Поляков Сорокин Виноградов Ковалев Белов Медведев Антонов Тарасов
    Жуков Баранов Филиппов Комаров Давыдов Беляев Герасимов Богданов Осипов Сидоров Матвеев Титов Марков
    Миронов Крылов Куликов Карпов Власов Мельников Денисов Гаврилов Тихонов Казаков Афанасьев Данилов
    Савельев Тимофеев Фомин Чернов Абрамов Мартынов Ефимов Федотов Щербаков Назаров Калинин Исаев Чернышев
    Быков Маслов Родионов Коновалов Лазарев Воронин Климов Филатов Пономарев Голубев Кудрявцев Прохоров
    Наумов Потапов Журавлев Овчинников Трофимов Леонов Соболев Ермаков Колесников Гончаров Емельянов
    Никифоров Грачев Котов Гришин Ефремов Архипов Громов Кириллов Малышев Панов Моисеев Румянцев Акимов
    Кондратьев Бирюков Горбунов Анисимов Еремин Тихомиров Галкин Лукьянов Михеев Скворцов Юдин Белоусов
    Нестеров"""
)
MALE_NAMES: tuple[str, ...] = _words(
    "Александр Алексей Андрей Артем Владимир Дмитрий Евгений Иван Игорь Михаил Николай Олег Павел Роман "
    "Сергей Юрий Виктор Константин Максим Денис"
)
FEMALE_NAMES: tuple[str, ...] = _words(
    "Анна Елена Ольга Наталья Татьяна Ирина Светлана Марина Юлия Екатерина Мария Людмила Галина Надежда "
    "Валентина Оксана Виктория Дарья Ксения Любовь"
)
PATRONYMIC_BASES: tuple[str, ...] = _words(
    "Александров Алексеев Андреев Владимиров Викторов Евгеньев Иванов Игорев Михайлов Николаев Олегов "
    "Павлов Петров Сергеев Юрьев Геннадьев Анатольев Васильев Борисов Степанов"
)
STREETS: tuple[str, ...] = (
    "ул. Ленина",
    "ул. Мира",
    "ул. Советская",
    "ул. Октябрьская",
    "ул. Школьная",
    "ул. Молодежная",
    "ул. Центральная",
    "ул. Садовая",
    "ул. Гагарина",
    "ул. Пушкина",
    "ул. Набережная",
    "ул. Лесная",
    "ул. Заречная",
    "ул. Северная",
    "ул. Первомайская",
    "ул. Комсомольская",
    "ул. Строителей",
    "ул. Кирова",
    "пр-т Победы",
    "ул. Юбилейная",
    "пер. Южный",
    "б-р Интернациональный",
)
VILLAGES: tuple[str, ...] = (
    "с. Михайловка",
    "с. Березовка",
    "пос. Сосновый",
    "дер. Ивановка",
    "с. Каменка",
    "пос. Лесной",
    "с. Никольское",
    "с. Покровка",
    "дер. Александровка",
    "пос. Садовый",
)
_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        _words("a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh sch - y - e yu ya"),
        strict=True,
    )
)


def _female(surname: str) -> str:
    return surname + "а"


def person(rng: random.Random) -> tuple[str, str, str]:
    """``(surname, first name, patronymic)`` of a random person."""
    surname = rng.choice(SURNAMES)
    base = rng.choice(PATRONYMIC_BASES)
    if rng.random() < 0.55:
        return _female(surname), rng.choice(FEMALE_NAMES), base + "на"
    return surname, rng.choice(MALE_NAMES), base + "ич"


def full_name(rng: random.Random) -> str:
    """``Иванова Наталья Петровна``."""
    return " ".join(person(rng))


def short_name(rng: random.Random) -> str:
    """``Иванова Н.П.``."""
    surname, first, patronymic = person(rng)
    return f"{surname} {first[0]}.{patronymic[0]}."


def phone(rng: random.Random) -> str:
    """``+7 912 345-67-89``."""
    code, first, second, third = (
        rng.randint(0, 99),
        rng.randint(0, 999),
        rng.randint(0, 99),
        rng.randint(0, 99),
    )
    return f"+7 9{code:02d} {first:03d}-{second:02d}-{third:02d}"


def translit(text: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower()).replace("-", "")


def email(rng: random.Random) -> str:
    """``ivanova.n1984@example.ru``."""
    surname, first, _ = person(rng)
    domain = rng.choice(("example.ru", "example.com", "mail.example.ru"))
    return f"{translit(surname)}.{translit(first)[0]}{rng.randint(1960, 2005)}@{domain}"


def street_address(rng: random.Random) -> str:
    """``ул. Ленина, д. 12``."""
    return f"{rng.choice(STREETS)}, д. {rng.randint(1, 120)}"


def address(rng: random.Random, municipality: Municipality) -> str:
    """A postal address in the municipality: ``г. Ухта, ул. Ленина, д. 12, кв. 34``."""
    flat = f", кв. {rng.randint(1, 180)}" if rng.random() < 0.75 else ""
    if municipality.is_urban and municipality.adjective is None:
        place = f"г. {municipality.base_name}"
    else:
        place = f"{municipality.place_label}, {rng.choice(VILLAGES)}"
    return f"{place}, {street_address(rng)}{flat}"


def correspondent(rng: random.Random, municipality: Municipality, *, collective: bool) -> str:
    """``Иванова Н.П. - Ухта``; collective appeals name a group."""
    place = municipality.place_label
    if collective:
        return rng.choice(
            (
                f"Жители дома {street_address(rng)} - {place}",
                f"{short_name(rng)} и др. - {place}",
                f"Коллектив жителей {rng.choice(STREETS)} - {place}",
            )
        )
    return f"{short_name(rng)} - {place}"


def social_author(rng: random.Random) -> str:
    """A social-network display name."""
    surname, first, _ = person(rng)
    roll = rng.random()
    if roll < 0.6:
        return f"{first} {surname}"
    if roll < 0.8:
        return f"{first} {surname[0]}."
    return f"id{rng.randint(10_000_000, 899_999_999)}"


def post_link(rng: random.Random, network: str) -> str:
    """A plausible post URL for the network."""
    group, post = rng.randint(10_000_000, 229_999_999), rng.randint(1, 99_999)
    if network == "ВКонтакте":
        return f"https://vk.com/wall-{group}_{post}"
    if network == "Одноклассники":
        return f"https://ok.ru/group/{group}/topic/{post}{rng.randint(100, 999)}"
    if network == "Telegram":
        return f"https://t.me/c/{group}/{post}"
    if network == "Дзен":
        return f"https://dzen.ru/a/{translit('пост')}{group:x}"
    if network == "YouTube":
        return f"https://www.youtube.com/watch?v={group:x}{post:x}"
    return f"https://www.instagram.com/p/{group:x}{post:x}/"


def incident_text(rng: random.Random, templates: Sequence[str], *, spam: bool) -> str:
    """A social-network post from one of ``templates``; sometimes with a phone, e-mail or address in it."""
    if spam:
        return rng.choice(SPAM_TEXTS).format(phone=phone(rng))
    text = rng.choice(templates).format(
        addr=street_address(rng), street=rng.choice(STREETS), route=rng.randint(1, 45)
    )
    roll = rng.random()
    if roll < 0.10:
        text += f" Мой телефон {phone(rng)}."
    elif roll < 0.15:
        text += f" Пишите на {email(rng)}."
    return text
