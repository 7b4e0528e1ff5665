"""Where a model of the wall clock keeps its entries (report lateness, the forms' figures): the task's
store (streams/engine/store.py `Store`), seen by the pure models as this protocol so they are tested
with any dict-like store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol


class Entries(Protocol):
    """Where entries live (streams/engine/store.py `Store`): values are plain dicts."""

    def get(self, key: str) -> Any: ...
    def put(self, key: str, value: Any) -> None: ...
    def delete(self, key: str) -> None: ...
    def items(self) -> Iterator[tuple[str, Any]]: ...
