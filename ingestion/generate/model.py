"""Record model: one logical record per appeal, with its whole life cycle.

A record knows when it was received, registered, answered (or closed), and renders itself *as an export
taken at time ``t`` would show it*: ``rows(t)`` gives the export rows (typed values keyed by contract header)
and ``truth(t)`` the ground-truth appeal and question rows (canonical codes). A re-export of the record in a
later period is simply ``rows(t_later)``; the newest exported version is the truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ingestion.generate import vocab

Row = dict[str, Any]
TruthAppeal = dict[str, Any]
TruthQuestion = dict[str, Any]


def _at_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


@dataclass
class RegisterQuestion:
    code: str
    name: str
    result: str  # final result code (never in_progress/extended)
    measures_taken: bool | None
    by_commission: bool
    on_site: bool
    with_applicant: bool
    executor: str


@dataclass
class RegisterAppeal:
    """An appeal in a municipal register: one export row per question."""

    body: str  # registering body (municipality ОКТМО), the landing sub-folder
    number: str  # № РК, unique within body and year
    received: date
    registered: date
    appeal_type: str
    channel: str
    origin: str
    is_collective: bool
    is_repeat: bool
    correspondent: str
    address: str
    territory: str  # ОКТМО as written: 8 digits, or 11 for a populated place
    due: date
    extended_to: date | None
    answered: date
    on_control: bool
    satisfaction: str | None
    received_by: str | None
    questions: list[RegisterQuestion]
    unmapped: str | None = None
    broken: bool = False

    source = "register"

    @property
    def appeal_id(self) -> str:
        return f"register:{self.body}:{self.registered.year}:{self.number}"

    @property
    def period_day(self) -> date:
        return self.registered

    @property
    def final_at(self) -> datetime:
        """From this moment on, every export shows the same version."""
        return _at_midnight(self.answered)

    def _extension_known(self, t: datetime) -> bool:
        return self.extended_to is not None and t.date() >= self.due - timedelta(days=5)

    def stage(self, t: datetime) -> str:
        """``final`` once answered by ``t``; else ``extended`` or ``in_progress``."""
        if self.answered <= t.date():
            return "final"
        return "extended" if self._extension_known(t) else "in_progress"

    def signature(self, t: datetime) -> tuple[Any, ...]:
        return (self.stage(t), self._extension_known(t))

    def question_result(self, question: RegisterQuestion, t: datetime) -> str:
        stage = self.stage(t)
        return question.result if stage == "final" else stage

    def rows(self, t: datetime) -> list[Row]:
        final = self.stage(t) == "final"
        extension = self.extended_to if self._extension_known(t) else None
        rows = []
        for question in self.questions:
            result = self.question_result(question, t)
            rows.append(
                {
                    "№ РК": self.number,
                    "Дата рег.": self.registered,
                    "Дата поступления": self.received,
                    "Вид обращения": vocab.APPEAL_TYPES[self.appeal_type],
                    "Форма": vocab.FORMS[vocab.CHANNELS[self.channel].form],
                    "Вид доставки": vocab.CHANNELS[self.channel].label,
                    "Поступило из": vocab.ORIGINS[self.origin],
                    "Коллективное": self.is_collective,
                    "Повторное": self.is_repeat,
                    "Корреспондент": self.correspondent,
                    "Адрес": self.address,
                    "ОКТМО": self.territory,
                    "Код вопроса": question.code,
                    "Вопрос": question.name,
                    "Результат": vocab.RESULTS[result],
                    "Меры приняты": question.measures_taken if final else None,
                    "Срок": self.due,
                    "Продлено до": extension,
                    "Дата ответа": self.answered if final else None,
                    "На контроле": self.on_control,
                    "Комиссионно": question.by_commission,
                    "С выездом на место": question.on_site,
                    "С участием автора": question.with_applicant,
                    "Удовлетворенность": vocab.SATISFACTION[self.satisfaction]
                    if final and self.satisfaction
                    else None,
                    "Исполнитель": question.executor,
                    "Принял": vocab.RECEIVED_BY[self.received_by] if self.received_by else None,
                }
            )
        return rows

    def truth(self, t: datetime) -> tuple[TruthAppeal, list[TruthQuestion]]:
        final = self.stage(t) == "final"
        due = self.extended_to if self._extension_known(t) else self.due
        appeal = {
            "appeal_id": self.appeal_id,
            "source_code": "register",
            "source_record_id": self.number,
            "received_date": self.received,
            "registered_at": _at_midnight(self.registered),
            "answered_at": _at_midnight(self.answered) if final else None,
            "due_at": _at_midnight(due),
            "oktmo": self.territory[:5] + "000",
            "territory_oktmo": self.territory[:8],
            "channel_code": self.channel,
            "origin_code": self.origin,
            "appeal_type": self.appeal_type,
            "form": vocab.CHANNELS[self.channel].form,
            "is_official_appeal": True,
            "is_collective": self.is_collective,
            "is_repeat": self.is_repeat,
            "is_spam": False,
            "on_control": self.on_control,
            "question_count": len(self.questions),
            "final_result_code": self.question_result(self.questions[0], t),
            "satisfaction": self.satisfaction if final else None,
            "rating": None,
            "category_or_rubric": None,
        }
        questions = [
            {
                "appeal_id": self.appeal_id,
                "question_no": number,
                "topic_code": question.code,
                "result_code": self.question_result(question, t),
                "measures_taken": question.measures_taken if final else None,
                "by_commission": question.by_commission,
                "on_site": question.on_site,
                "with_applicant": question.with_applicant,
                "received_by": self.received_by,
            }
            for number, question in enumerate(self.questions, start=1)
        ]
        return appeal, questions


@dataclass
class PosMessage:
    """A Feedback Platform message (or 59-ФЗ appeal): one export row."""

    number: str
    epgu_number: str | None
    source_tag: str
    region_name: str
    category: str
    subcategory: str
    fact: str
    topic: str  # crosswalked classifier code, or ``unclassified``
    organization: str  # receiving body as written
    municipality: str | None  # its municipality's ОКТМО (None when the body is not in the directory)
    territory: str | None  # the body's own ОКТМО (settlement or municipality)
    received: datetime
    due: datetime
    taken: datetime
    closed: datetime
    decision: str  # «Тип решения» when closed
    is_official: bool
    fz_label: str | None
    fast_track: bool
    foiv_email: bool
    rating: int | None
    rated_at: datetime | None
    repeat_review: bool
    redirect_to: str | None
    redirect_at: datetime | None
    interim_at: datetime | None
    coordinator: str
    executor: str
    head: str
    unmapped: str | None = None
    broken: bool = False
    resolvable: dict[str, Any] | None = None
    """With an unresolvable territory (``unmapped`` ``organization``): the resolvable values it was drawn
    with, for :func:`restore_territory` (``core`` bounds the unresolvable rows of each file)."""

    source = "pos"

    @property
    def appeal_id(self) -> str:
        return f"pos:{self.number}"

    @property
    def period_day(self) -> date:
        return self.received.date()

    def stage(self, t: datetime) -> str:
        if t >= self.closed:
            return vocab.POS_STAGE_DONE
        if t >= self.taken:
            return vocab.POS_STAGE_IN_WORK
        return vocab.POS_STAGE_REGISTERED

    @property
    def final_at(self) -> datetime:
        """From this moment on, every export shows the same version."""
        return max(self.closed, self.rated_at) if self.rated_at is not None else self.closed

    def _rated(self, t: datetime) -> bool:
        return self.rating is not None and self.rated_at is not None and t >= self.rated_at

    def _overdue(self, t: datetime) -> bool:
        return self.closed > self.due if t >= self.closed else t > self.due

    def signature(self, t: datetime) -> tuple[Any, ...]:
        return (self.stage(t), self._status(t), self._rated(t), self._overdue(t))

    def _status(self, t: datetime) -> str | None:
        stage = self.stage(t)
        if stage == vocab.POS_STAGE_DONE:
            return vocab.POS_STATUS_REJECTED if self.decision == "Отклонено" else vocab.POS_STATUS_ANSWERED
        if stage == vocab.POS_STAGE_IN_WORK:
            if self.redirect_at is not None and t >= self.redirect_at:
                return vocab.POS_STATUS_REDIRECTED
            if self.interim_at is not None and t >= self.interim_at:
                return vocab.POS_STATUS_INTERIM
        return None

    def result(self, t: datetime) -> str:
        if self.stage(t) != vocab.POS_STAGE_DONE:
            return "in_progress"
        return vocab.POS_DECISIONS[self.decision][1]

    def rows(self, t: datetime) -> list[Row]:
        done = self.stage(t) == vocab.POS_STAGE_DONE
        rated = self._rated(t)
        handling = self.redirect_to if self.redirect_at is not None and t >= self.redirect_at else None
        return [
            {
                "Номер": self.number,
                "Номер ЕПГУ": self.epgu_number,
                "Источник": self.source_tag,
                "Верхнеуровневый ЛКО": self.region_name,
                "Категория": self.category,
                "Подкатегория": self.subcategory,
                "Факт": self.fact,
                "Организация, в которую поступило сообщение": self.organization,
                "Организация, в которой находится сообщение": handling or self.organization,
                "Дата поступления": self.received,
                "Дата планируемого завершения работ": self.due,
                "Дата фактического завершения работ": self.closed if done else None,
                "Стадия": self.stage(t),
                "Статус": self._status(t),
                "Просрочено": self._overdue(t),
                "Фаст-трек": self.fast_track,
                "ФЗ": self.fz_label,
                "Заявитель выбрал подачу по 59-ФЗ": self.is_official,
                "Тип решения": self.decision if done else None,
                "Направлено по email в ФОИВ, не подключенный к ПОС": self.foiv_email,
                "Оценка ответа заявителем": self.rating if rated else "-",
                "Повторное рассмотрение": self.repeat_review if rated else False,
                "ФИО координатора": self.coordinator,
                "ФИО исполнителя": self.executor,
                "ФИО руководителя": self.head,
            }
        ]

    def truth(self, t: datetime) -> tuple[TruthAppeal, list[TruthQuestion]]:
        done = self.stage(t) == vocab.POS_STAGE_DONE
        rated = self._rated(t)
        result = self.result(t)
        appeal = {
            "appeal_id": self.appeal_id,
            "source_code": "pos",
            "source_record_id": self.number,
            "received_date": self.received.date(),
            "registered_at": self.received,
            "answered_at": self.closed if done else None,
            "due_at": self.due,
            "oktmo": self.municipality,
            "territory_oktmo": self.territory,
            "channel_code": "pos",
            "origin_code": "direct",
            "appeal_type": "statement" if self.is_official else "other",
            "form": "electronic",
            "is_official_appeal": self.is_official,
            "is_collective": False,
            "is_repeat": self.repeat_review and rated,
            "is_spam": False,
            "on_control": None,
            "question_count": 1,
            "final_result_code": result,
            "satisfaction": None,
            "rating": self.rating if rated else None,
            "category_or_rubric": self.category,
        }
        question = {
            "appeal_id": self.appeal_id,
            "question_no": 1,
            "topic_code": self.topic,
            "result_code": result,
            "measures_taken": None,
            "by_commission": None,
            "on_site": None,
            "with_applicant": None,
            "received_by": None,
        }
        return appeal, [question]


@dataclass
class Incident:
    """A social-network incident: one export row."""

    incident_id: str
    published: datetime
    registered: datetime
    network: str
    link: str
    author: str
    text: str
    rubric: str
    subtopic: str
    topic: str
    municipality_written: str
    oktmo_written: str | None
    municipality: str | None  # resolved municipality ОКТМО for the truth (None when unresolvable)
    executor: str
    message_type: str
    is_spam: bool
    reach: int
    taken: datetime
    approval_at: datetime | None
    answered: datetime | None
    closed: datetime | None
    rejected: datetime | None
    unmapped: str | None = None
    broken: bool = False
    resolvable: dict[str, Any] | None = None
    """With an unresolvable territory (``unmapped`` ``municipality``): the resolvable values it was drawn
    with, for :func:`restore_territory` (``core`` bounds the unresolvable rows of each file)."""

    source = "incident"

    @property
    def appeal_id(self) -> str:
        return f"incident:{self.incident_id}"

    @property
    def period_day(self) -> date:
        return self.registered.date()

    @property
    def final_at(self) -> datetime:
        """From this moment on, every export shows the same version."""
        events = (self.taken, self.approval_at, self.answered, self.closed, self.rejected)
        return max(moment for moment in events if moment is not None)

    def status(self, t: datetime) -> str:
        if self.rejected is not None and t >= self.rejected:
            return vocab.INCIDENT_STATUS_REJECTED
        if self.closed is not None and t >= self.closed:
            return vocab.INCIDENT_STATUS_CLOSED
        if self.answered is not None and t >= self.answered:
            return vocab.INCIDENT_STATUS_ANSWERED
        if self.approval_at is not None and t >= self.approval_at:
            return vocab.INCIDENT_STATUS_APPROVAL
        if t >= self.taken:
            return vocab.INCIDENT_STATUS_IN_WORK
        return vocab.INCIDENT_STATUS_NEW

    def signature(self, t: datetime) -> tuple[Any, ...]:
        return (self.status(t),)

    def result(self, t: datetime) -> str:
        status = self.status(t)
        if status in (vocab.INCIDENT_STATUS_ANSWERED, vocab.INCIDENT_STATUS_CLOSED):
            return "answered"
        if status == vocab.INCIDENT_STATUS_REJECTED:
            return "not_supported"
        return "in_progress"

    def _answer_shown(self, t: datetime) -> datetime | None:
        return self.answered if self.answered is not None and t >= self.answered else None

    def rows(self, t: datetime) -> list[Row]:
        return [
            {
                "ID инцидента": self.incident_id,
                "Дата публикации": self.published,
                "Дата регистрации": self.registered,
                "Соцсеть": self.network,
                "Ссылка": self.link,
                "Автор": self.author,
                "Текст": self.text,
                "Направление": self.rubric,
                "Подтема": self.subtopic,
                "Муниципальное образование": self.municipality_written,
                "ОКТМО": self.oktmo_written,
                "Статус": self.status(t),
                "Исполнитель": self.executor,
                "Дата ответа": self._answer_shown(t),
                "Тип сообщения": self.message_type,
                "Спам": self.is_spam,
                "Охват": self.reach,
            }
        ]

    def truth(self, t: datetime) -> tuple[TruthAppeal, list[TruthQuestion]]:
        result = self.result(t)
        appeal = {
            "appeal_id": self.appeal_id,
            "source_code": "incident",
            "source_record_id": self.incident_id,
            "received_date": self.published.date(),
            "registered_at": self.registered,
            "answered_at": self._answer_shown(t),
            "due_at": None,
            "oktmo": self.municipality,
            "territory_oktmo": self.municipality,
            "channel_code": "social_media",
            "origin_code": "direct",
            "appeal_type": vocab.MESSAGE_TYPES[self.message_type][1],
            "form": "electronic",
            "is_official_appeal": False,
            "is_collective": False,
            "is_repeat": False,
            "is_spam": self.is_spam,
            "on_control": None,
            "question_count": 1,
            "final_result_code": result,
            "satisfaction": None,
            "rating": None,
            "category_or_rubric": self.rubric,
        }
        question = {
            "appeal_id": self.appeal_id,
            "question_no": 1,
            "topic_code": self.topic,
            "result_code": result,
            "measures_taken": None,
            "by_commission": None,
            "on_site": None,
            "with_applicant": None,
            "received_by": None,
        }
        return appeal, [question]


Record = RegisterAppeal | PosMessage | Incident


def restore_territory(record: PosMessage | Incident) -> None:
    """Give a record with an unresolvable territory back the resolvable values it was drawn with."""
    if record.resolvable is None:
        raise ValueError(f"{record.appeal_id}: no resolvable territory to restore")
    for name, value in record.resolvable.items():
        setattr(record, name, value)
    record.resolvable = record.unmapped = None
