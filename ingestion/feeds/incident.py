"""«Инцидент Менеджмент» export: social-media posts merged into incidents, one row per incident.

Rubrics and municipality names stay as written (the warehouse resolves them through crosswalks and the
ОКТМО reference); the message type maps onto the canonical ``appeal_type`` codes.
"""

from __future__ import annotations

from ingestion.feeds.base import Column, FeedSpec

MESSAGE_TYPES: dict[str, str] = {
    "Жалоба": "complaint",
    "Вопрос": "request",
    "Запрос": "request",
    "Предложение": "proposal",
    "Благодарность": "gratitude",
    "Иное": "other",
    "Другое": "other",
    "Прочее": "other",
}

SPEC = FeedSpec(
    name="incident",
    table="incident_rows",
    columns=(
        Column(
            "incident_id",
            ("ID инцидента", "ИД инцидента", "Id инцидента", "Номер инцидента", "№ инцидента", "Инцидент"),
            "text",
            required=True,
        ),
        Column(
            "published_at",
            ("Дата публикации", "Дата и время публикации", "Дата публикации поста"),
            "timestamp",
            required=True,
        ),
        Column(
            "registered_at",
            ("Дата регистрации", "Дата и время регистрации", "Дата регистрации инцидента", "Дата создания"),
            "timestamp",
        ),
        Column(
            "social_network",
            ("Соцсеть", "Соц. сеть", "Соц.сеть", "Социальная сеть", "Соцсеть/площадка", "Площадка"),
            "text",
            required=True,
        ),
        Column(
            "post_url", ("Ссылка", "Ссылка на пост", "Ссылка на публикацию", "URL"), "text", personal=True
        ),
        Column("author", ("Автор", "Автор публикации", "Автор поста"), "text", personal=True),
        Column(
            "post_text",
            ("Текст", "Текст публикации", "Текст поста", "Текст сообщения"),
            "text",
            personal=True,
        ),
        Column("rubric", ("Направление", "Рубрика"), "text", required=True),
        Column("subrubric", ("Подтема", "Подрубрика"), "text"),
        Column(
            "municipality_name",
            ("Муниципальное образование", "Муниципалитет", "МО"),
            "text",
            required=True,
        ),
        Column("oktmo", ("ОКТМО", "Код ОКТМО"), "oktmo"),
        Column("status", ("Статус", "Статус инцидента"), "text", required=True),
        Column("executor", ("Исполнитель", "Ответственный", "Ответственный исполнитель"), "text"),
        Column("answered_at", ("Дата ответа", "Дата и время ответа"), "timestamp"),
        Column("message_type", ("Тип сообщения", "Тип обращения"), "code", values=MESSAGE_TYPES),
        Column("is_spam", ("Спам", "Признак спама"), "bool"),
        Column("reach", ("Охват", "Просмотры", "Количество просмотров"), "int"),
    ),
    natural_key=("incident_id",),
    applicant_columns=("author",),
)
