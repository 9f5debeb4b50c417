"""Feed contracts, declared as data: one module per feed, all collected in :data:`FEEDS`."""

from __future__ import annotations

from ingestion.feeds import incident, organizations, pos, register
from ingestion.feeds.base import KINDS, Column, FeedSpec

FEEDS: dict[str, FeedSpec] = {
    spec.name: spec for spec in (pos.SPEC, incident.SPEC, register.SPEC, organizations.SPEC)
}

__all__ = ["FEEDS", "KINDS", "Column", "FeedSpec"]
