"""`ioc grafana deploy`: upload the wall to a running Grafana through its HTTP API (grafana-client).

Idempotent: every object has a fixed uid, so a second run updates what the first created instead of
adding copies — the folder, the ClickHouse datasource, each dashboard (overwrite by uid) and each
playlist. Used where file provisioning is not available (a Grafana managed by someone else, Grafana
Cloud) or to push a change without restarting Grafana.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError

from wall.build import FOLDER_TITLE, FOLDER_UID

Json = dict[str, Any]
NOT_FOUND = 404


@dataclass
class DeployReport:
    """What each run did, as "created"/"updated" per object, for the operator's log."""

    actions: list[str] = field(default_factory=list)

    def note(self, kind: str, uid: str, created: bool) -> None:
        self.actions.append(f"{'created' if created else 'updated'} {kind} {uid}")


def _exists(fetch: Any, *args: Any) -> bool:
    try:
        fetch(*args)
    except GrafanaClientError as exc:
        if exc.status_code == NOT_FOUND:
            return False
        raise
    return True


def deploy(
    api: GrafanaApi, datasource: Json, dashboards: dict[str, Json], playlists: dict[str, Json]
) -> DeployReport:
    """Create or update the folder, datasource, dashboards and playlists; returns what was done."""
    report = DeployReport()
    if _exists(api.folder.get_folder, FOLDER_UID):
        api.folder.update_folder(FOLDER_UID, title=FOLDER_TITLE, overwrite=True)
        report.note("folder", FOLDER_UID, created=False)
    else:
        api.folder.create_folder(FOLDER_TITLE, uid=FOLDER_UID)
        report.note("folder", FOLDER_UID, created=True)

    uid = datasource["uid"]
    if _exists(api.datasource.get_datasource_by_uid, uid):
        api.datasource.update_datasource_by_uid(uid, datasource)
        report.note("datasource", uid, created=False)
    else:
        api.datasource.create_datasource(datasource)
        report.note("datasource", uid, created=True)

    for uid, model in dashboards.items():
        created = not _exists(api.dashboard.get_dashboard, uid)
        payload = {"dashboard": {**model, "id": None}, "folderUid": FOLDER_UID, "overwrite": True,
                   "message": "ioc grafana deploy"}  # fmt: skip
        api.dashboard.update_dashboard(payload)
        report.note("dashboard", uid, created)

    for uid, model in playlists.items():
        if _exists(api.client.GET, f"/playlists/{uid}"):
            api.client.PUT(f"/playlists/{uid}", json=model)
            report.note("playlist", uid, created=False)
        else:
            api.client.POST("/playlists", json=model)
            report.note("playlist", uid, created=True)
    return report
