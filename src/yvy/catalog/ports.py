"""The catalog's storage port: what the domain needs from a store.

Items and collections travel as plain STAC dicts. Adapters live in :mod:`yvy.storage`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

__all__ = ["CatalogStore", "ItemQuery", "Job", "JobStore"]

from dataclasses import dataclass


@dataclass(frozen=True)
class ItemQuery:
    """Filters for :meth:`CatalogStore.search_items` (all optional, combined with AND)."""

    collections: Sequence[str] | None = None
    ids: Sequence[str] | None = None
    bbox: tuple[float, float, float, float] | None = None
    """WGS84 (minx, miny, maxx, maxy); items whose bbox intersects it."""
    intersects: dict | None = None
    """GeoJSON geometry (WGS84); items whose footprint intersects it."""
    start: str | None = None
    """ISO datetime; items ending at or after it."""
    end: str | None = None
    """ISO datetime; items starting at or before it."""
    max_cloud: float | None = None
    """Items with eo:cloud_cover <= this (items without cloud cover pass)."""
    limit: int | None = None
    offset: int = 0
    order: tuple[tuple[str, bool], ...] = ()
    """Sort keys before the default order, each ``(key, descending)``; keys are ``id``,
    ``collection``, ``datetime`` and ``eo:cloud_cover`` (items without the value sort last
    ascending, first descending)."""


class CatalogStore(Protocol):
    """Persistence of STAC collections and items."""

    def transaction(self) -> AbstractContextManager[Any]:
        """A write transaction: everything inside commits together or not at all."""
        ...

    def upsert_collection(self, collection: dict) -> None:
        """Insert or replace a STAC Collection (dict)."""
        ...

    def get_collection(self, collection_id: str) -> dict:
        """The Collection dict, or NotFoundError."""
        ...

    def list_collections(self) -> list[dict]:
        """All collections, by id."""
        ...

    def upsert_item(self, item: dict) -> bool:
        """Insert or replace an item; True when it was new."""
        ...

    def get_item(self, collection_id: str, item_id: str) -> dict:
        """The Item dict, or NotFoundError."""
        ...

    def ingest_times(self, refs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """When each (collection, item id) first entered the catalog (ISO UTC); absent ones left out."""
        ...

    def find_item(self, item_id: str) -> dict:
        """The Item with this id in any collection (first by collection id), or NotFoundError."""
        ...

    def has_collection(self, collection_id: str) -> bool:
        """Whether the collection exists."""
        ...

    def collection_extent(self, collection_id: str) -> dict:
        """STAC ``extent`` of a collection's items (bbox, interval) and their ``count``."""
        ...

    def delete_item(self, collection_id: str, item_id: str) -> None:
        """Remove an item (NotFoundError if absent)."""
        ...

    def search_items(self, query: ItemQuery) -> list[dict]:
        """Items matching ``query``, oldest first."""
        ...

    def count_items(self, query: ItemQuery) -> int:
        """Number of items matching ``query`` (ignoring limit/offset)."""
        ...

    def iter_items(self, query: ItemQuery) -> Iterator[dict]:
        """Items matching ``query``, streamed, oldest first."""
        ...


@dataclass(frozen=True)
class Job:
    """A resumable job's record (see :class:`JobStore`)."""

    id: str
    kind: str
    params: dict
    state: str
    """``running``, ``done`` or ``failed``."""
    progress: dict
    created: str
    updated: str


class JobStore(Protocol):
    """Persistence of resumable jobs (chunked detection, monitoring updates)."""

    def get_job(self, job_id: str) -> Job | None:
        """The job record, or None."""
        ...

    def start_job(self, job_id: str, kind: str, params: dict, progress: dict) -> None:
        """Create or restart a job in state ``running``."""
        ...

    def update_job(self, job_id: str, *, progress: dict, state: str | None = None) -> None:
        """Record a job's progress (and its state, when it ends)."""
        ...
