"""ПОС (Feedback Platform, «Госуслуги. Решаем вместе») administrator's export: one row per message.

Messages and official 59-ФЗ appeals share the file; ``fz_marker`` and ``applicant_chose_59fz`` tell them
apart downstream. ПОС categories are the platform's own taxonomy and stay as text here (the crosswalk to
the federal classifier lives in the warehouse). The export carries no applicant, only staff names.
"""

from __future__ import annotations

from ingestion.feeds.base import Column, FeedSpec

SPEC = FeedSpec(
    name="pos",
    table="pos_rows",
    columns=(
        Column(
            "message_id",
            ("Номер", "Номер сообщения", "№ сообщения", "№", "ID сообщения", "ИД сообщения", "ID"),
            "text",
            required=True,
        ),
        Column("epgu_id", ("Номер ЕПГУ", "Номер на ЕПГУ", "ID ЕПГУ", "ЕПГУ"), "text"),
        Column("tech_source", ("Источник", "Источник сообщения", "Технический источник"), "text"),
        Column(
            "region_account", ("Верхнеуровневый ЛКО", "ЛКО верхнего уровня", "Верхнеуровневое ЛКО"), "text"
        ),
        Column("category", ("Категория", "Категория сообщения"), "text", required=True),
        Column("subcategory", ("Подкатегория", "Подкатегория сообщения"), "text"),
        Column("fact", ("Факт",), "text"),
        Column(
            "receiving_org",
            (
                "Организация, в которую поступило сообщение",
                "Организация в которую поступило сообщение",
                "Организация, в которую поступило",
                "Организация-получатель",
            ),
            "text",
            required=True,
        ),
        Column(
            "handling_org",
            (
                "Организация, в которой находится сообщение",
                "Организация в которой находится сообщение",
                "Организация, в которой находится",
            ),
            "text",
        ),
        Column(
            "received_at",
            ("Дата поступления", "Дата поступления сообщения", "Дата и время поступления"),
            "timestamp",
            required=True,
        ),
        Column(
            "due_at",
            (
                "Дата планируемого завершения работ",
                "Плановая дата завершения работ",
                "Дата планового завершения работ",
                "Плановая дата завершения",
            ),
            "timestamp",
        ),
        Column(
            "closed_at",
            (
                "Дата фактического завершения работ",
                "Фактическая дата завершения работ",
                "Дата фактического завершения",
            ),
            "timestamp",
        ),
        Column("stage", ("Стадия", "Стадия сообщения"), "text", required=True),
        Column("status", ("Статус", "Статус сообщения"), "text"),
        Column("is_overdue", ("Просрочено", "Просрочено сообщение", "Просрочка"), "bool"),
        Column("is_fast_track", ("Фаст-трек", "Фаст трек", "Фасттрек", "Fast-track", "Fast track"), "bool"),
        Column("fz_marker", ("ФЗ", "Признак ФЗ", "Тип по ФЗ"), "text"),
        Column(
            "applicant_chose_59fz",
            (
                "Заявитель выбрал подачу по 59-ФЗ",
                "Заявитель выбрал подачу по 59 ФЗ",
                "Заявитель выбрал подачу по 59-ФЗ?",
                "Подача по 59-ФЗ",
            ),
            "bool",
        ),
        Column("decision_type", ("Тип решения",), "text"),
        Column(
            "emailed_to_foiv",
            (
                "Направлено по email в ФОИВ, не подключенный к ПОС",
                "Направлено по e-mail в ФОИВ, не подключенный к ПОС",
                "Направлено по email в ФОИВ не подключенный к ПОС",
                "Направлено по email в ФОИВ",
            ),
            "bool",
        ),
        Column(
            "rating", ("Оценка ответа заявителем", "Оценка ответа", "Оценка заявителя", "Оценка"), "rating"
        ),
        Column("is_repeat_review", ("Повторное рассмотрение",), "bool"),
        Column("coordinator_name", ("ФИО координатора", "Координатор"), "text", personal=True),
        Column("executor_name", ("ФИО исполнителя", "Исполнитель"), "text", personal=True),
        Column("manager_name", ("ФИО руководителя", "Руководитель"), "text", personal=True),
    ),
    natural_key=("message_id",),
    applicant_columns=(),
)
