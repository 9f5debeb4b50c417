"""``reference/organizations.csv``: the committee's directory of bodies → ОКТМО.

It resolves the organisation names found in ПОС and incident exports to territories.
"""

from __future__ import annotations

from ingestion.feeds.base import Column, FeedSpec

LEVELS: dict[str, str] = {
    "регион": "region",
    "региональный": "region",
    "субъект": "region",
    "муниципалитет": "municipality",
    "муниципальный": "municipality",
    "муниципальное образование": "municipality",
    "поселение": "settlement",
    "ведомство": "agency",
}

SPEC = FeedSpec(
    name="organizations",
    table="organizations_rows",
    columns=(
        Column(
            "name",
            ("Организация", "Наименование организации", "Наименование", "Орган"),
            "text",
            required=True,
        ),
        Column("oktmo", ("ОКТМО", "Код ОКТМО"), "oktmo", required=True),
        Column("level", ("Уровень", "Уровень организации"), "code", required=True, values=LEVELS),
    ),
    natural_key=("name",),
    applicant_columns=(),
)
