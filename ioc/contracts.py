"""The data contracts on the broker and the registry: every topic exists and every schema is registered.

Run by `ioc stack up` before anything subscribes (Faust ignores an input topic that is missing when
a worker starts, and never picks it up later), and by the production init jobs.
"""

from __future__ import annotations

from collections.abc import Callable

from ioc.endpoints import Endpoints
from ioc.schemas import register_all
from ioc.serde import registry_client
from topics.apply import apply_topics


def apply_contracts(endpoints: Endpoints, prefix: str, progress: Callable[[str], None]) -> None:
    """Create or align the topics, then register their schemas."""
    changes = apply_topics(endpoints.kafka_client(), prefix)
    touched = [c for c in changes if c.action != "unchanged"]
    progress(f"topics: {len(changes) - len(touched)} unchanged, {len(touched)} created or aligned")
    registrations = register_all(registry_client(endpoints), prefix)
    progress(f"schemas: {len(registrations)} subjects registered")
