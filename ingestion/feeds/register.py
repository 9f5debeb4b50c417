"""Municipal register of appeals (document-management export): one row per question.

An appeal with three questions is three rows with the same ``№ РК`` and ``Дата рег.``. ``№ РК`` is unique
only within the registering body and year: the loader completes the natural key with the body (from the
``register/<body>/`` folder or the optional ``Организация`` column) and the year of ``registered_at``.
"""

from __future__ import annotations

from ingestion.feeds.base import Column, FeedSpec

APPEAL_TYPES: dict[str, str] = {
    "Заявление": "statement",
    "Предложение": "proposal",
    "Жалоба": "complaint",
    "Запрос": "request",
    "Иное": "other",
    "Другое": "other",
    "Прочее": "other",
}

FORMS: dict[str, str] = {
    "Письменная": "written",
    "Письменное": "written",
    "Письменно": "written",
    "В письменной форме": "written",
    "Электронная": "electronic",
    "Электронное": "electronic",
    "В форме электронного документа": "electronic",
    "В электронной форме": "electronic",
    "Устная": "oral",
    "Устное": "oral",
    "Устно": "oral",
    "В устной форме": "oral",
}

CHANNELS: dict[str, str] = {
    "Почта России": "post",
    "Почта": "post",
    "Почтой": "post",
    "Нарочно": "by_hand",
    "Нарочным": "by_hand",
    "Нарочный": "by_hand",
    "Курьером": "by_hand",
    "Интернет-приемная": "internet_reception",
    "Интернет приемная": "internet_reception",
    "Интернет-приемная сайта": "internet_reception",
    "Виртуальная приемная": "internet_reception",
    "Электронная почта": "email",
    "E-mail": "email",
    "Email": "email",
    "Эл. почта": "email",
    "ГИС ЖКХ": "gis_zhkh",
    "ПОС": "pos",
    "Платформа обратной связи": "pos",
    "МЭДО": "medo",
    "СЭД МЭДО": "medo",
    "Личный прием": "personal_reception",
    "На личном приеме": "personal_reception",
    "Выездной прием": "field_reception",
    "Телефон": "phone",
    "По телефону": "phone",
    "Горячая линия": "hotline",
    "Прямая линия": "direct_line",
    "Многоканальный телефон": "regional_phone",
    "Многоканальная линия": "regional_phone",
    "Факс": "fax",
    "Социальные сети": "social_media",
    "Соцсети": "social_media",
    "Иное": "other",
    "Другое": "other",
    "Прочее": "other",
}

ORIGINS: dict[str, str] = {
    "Непосредственно от заявителя": "direct",
    "Непосредственно": "direct",
    "От заявителя": "direct",
    "Непосредственно в администрацию": "direct",
    "Администрация субъекта": "regional_admin",
    "Администрация субъекта РФ": "regional_admin",
    "АКО": "regional_admin",
    "АПК": "regional_admin",
    "Администрация края": "regional_admin",
    "Администрация области": "regional_admin",
    "Администрация Кемеровской области": "regional_admin",
    "Администрация Правительства Кузбасса": "regional_admin",
    "Правительство Кузбасса": "regional_admin",
    "Администрация Краснодарского края": "regional_admin",
    "Администрация Томской области": "regional_admin",
    "Администрация Главы Республики Коми": "regional_admin",
    "Приемная Президента": "presidential",
    "Приемная Президента РФ": "presidential",
    "Приемная Президента Российской Федерации": "presidential",
    "Администрация Президента": "presidential",
    "Администрация Президента РФ": "presidential",
    "Администрация Президента Российской Федерации": "presidential",
    "Другие органы": "other_body",
    "Другой орган": "other_body",
    "Иные органы": "other_body",
    "Из других органов": "other_body",
}

_RESULTS: dict[str, str] = {
    "Разъяснено": "explained",
    "Поддержано": "supported",
    "Поддержано, в т.ч. меры приняты": "supported",
    "Поддержано, в том числе меры приняты": "supported",
    "Поддержано, меры приняты": "supported",
    "Меры приняты": "supported",
    "Не поддержано": "not_supported",
    "Дан ответ автору": "answered",
    "Дан ответ": "answered",
    "Оставлено без ответа автору": "left_without_answer",
    "Оставлено без ответа": "left_without_answer",
    "Направлено по компетенции": "transferred",
    "Находится на рассмотрении": "in_progress",
    "На рассмотрении": "in_progress",
    "Рассмотрение продлено": "extended",
    "Продлено": "extended",
}
# Document-management systems also write the outcome as «Рассмотрено. Разъяснено».
_RESULT_PREFIXES = ("", "Рассмотрено. ", "Рассмотрено, ", "Рассмотрено - ", "Рассмотрено: ", "Рассмотрено ")
RESULTS: dict[str, str] = {
    prefix + (spelling.lower() if prefix else spelling): code
    for prefix in _RESULT_PREFIXES
    for spelling, code in _RESULTS.items()
}

SATISFACTION: dict[str, str] = {
    "Удовлетворен": "satisfied",
    "Удовлетворена": "satisfied",
    "Удовлетворено": "satisfied",
    "Частично удовлетворен": "partly_satisfied",
    "Частично удовлетворена": "partly_satisfied",
    "Частично удовлетворено": "partly_satisfied",
    "Не удовлетворен": "not_satisfied",
    "Не удовлетворена": "not_satisfied",
    "Не удовлетворено": "not_satisfied",
}

RECEIVERS: dict[str, str] = {
    "Глава": "head",
    "Глава города": "head",
    "Глава района": "head",
    "Глава округа": "head",
    "Глава муниципального образования": "head",
    "Заместитель главы": "deputy_head",
    "Первый заместитель главы": "deputy_head",
    "Зам. главы": "deputy_head",
    "Зам главы": "deputy_head",
    "Специалист": "specialist",
}

SPEC = FeedSpec(
    name="register",
    table="register_rows",
    columns=(
        Column(
            "reg_number",
            (
                "№ РК",
                "N РК",
                "No РК",
                "№РК",
                "Номер РК",
                "Рег. №",
                "Рег.№",
                "Рег. номер",
                "Регистрационный номер",
                "№ регистрации",
            ),
            "text",
            required=True,
        ),
        Column(
            "registered_at",
            ("Дата рег.", "Дата регистрации", "Дата рег", "Рег. дата", "Дата РК"),
            "timestamp",
            required=True,
        ),
        Column("received_at", ("Дата поступления", "Дата получения"), "timestamp"),
        Column("appeal_type", ("Вид обращения", "Тип обращения"), "code", required=True, values=APPEAL_TYPES),
        Column(
            "form", ("Форма", "Форма обращения", "Форма поступления"), "code", required=True, values=FORMS
        ),
        Column(
            "channel_code",
            ("Вид доставки", "Способ доставки", "Канал поступления", "Способ поступления"),
            "code",
            required=True,
            values=CHANNELS,
        ),
        Column("origin_code", ("Поступило из", "Откуда поступило"), "code", required=True, values=ORIGINS),
        Column("is_collective", ("Коллективное", "Коллективное обращение"), "bool"),
        Column("is_repeat", ("Повторное", "Повторное обращение"), "bool"),
        Column("correspondent", ("Корреспондент", "Заявитель", "ФИО заявителя"), "text", personal=True),
        Column("address", ("Адрес", "Адрес заявителя", "Адрес корреспондента"), "text", personal=True),
        Column("oktmo", ("ОКТМО", "Код ОКТМО", "ОКТМО территории"), "oktmo", required=True),
        Column(
            "topic_code",
            ("Код вопроса", "Код по классификатору", "Код классификатора", "Код тематики"),
            "topic_code",
            required=True,
        ),
        Column("question_text", ("Вопрос", "Наименование вопроса", "Содержание вопроса"), "text"),
        Column(
            "result_code",
            ("Результат", "Результат рассмотрения"),
            "code",
            required=True,
            values=RESULTS,
        ),
        Column("measures_taken", ("Меры приняты", "Приняты меры"), "bool"),
        Column("due_at", ("Срок", "Срок исполнения", "Контрольный срок", "Срок рассмотрения"), "timestamp"),
        Column("extended_due_at", ("Продлено до", "Срок продлен до", "Продлен до"), "timestamp"),
        Column("answered_at", ("Дата ответа", "Дата ответа автору", "Дата исполнения"), "timestamp"),
        Column("on_control", ("На контроле", "Контроль"), "bool"),
        Column("by_commission", ("Комиссионно", "Рассмотрено комиссионно"), "bool"),
        Column("on_site", ("С выездом на место", "С выездом"), "bool"),
        Column("with_applicant", ("С участием автора", "С участием заявителя"), "bool"),
        Column(
            "satisfaction", ("Удовлетворенность", "Удовлетворенность заявителя"), "code", values=SATISFACTION
        ),
        Column("executor", ("Исполнитель", "Ответственный исполнитель"), "text"),
        Column("received_by", ("Принял", "Кто принял", "Вел прием"), "code", values=RECEIVERS),
        Column("organization", ("Организация", "Регистрирующий орган", "Наименование организации"), "text"),
    ),
    natural_key=("reg_number",),
    applicant_columns=("correspondent",),
)
