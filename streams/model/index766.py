"""The Decision 766/QĐ-TTg index (Bộ chỉ số phục vụ người dân, doanh nghiệp): five groups worth 100
points, scored for a department or an area over a month from the dossiers the portal reports.

Each group is its maximum times the share of the dossiers that meet its criterion (docs/indicators.md
says which sub-criteria of the Decision this implements, which it approximates and where the rules
were read):

- publicity and transparency (18): dossiers received with a published due time;
- progress and results (20): dossiers resolved by their due time, of those resolved;
- digitisation (22): dossiers received and digitised, of those whose digitisation is known;
- online services (22): submitted online, of those received online or offline (12), plus paid
  online, of those whose payment is known (10), the split the national portal shows;
- satisfaction (18): rated satisfied or very satisfied, of the dossiers resolved and rated.

A group without any dossier to judge has no score (None); the total counts it as 0 and its label
names the groups without data, so a low total from missing data is told from a low one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streams.model import indicators

if TYPE_CHECKING:
    from streams.model.dossiers import Figures

POINTS = "points"
PUBLICITY, PROGRESS, DIGITISATION, ONLINE, SATISFACTION = 18, 20, 22, 22, 18
ONLINE_SUBMISSION, ONLINE_PAYMENT = 12, 10


def _share(points: float, part: int, whole: int) -> float | None:
    return points * part / whole if whole else None


def _online(f: Figures) -> float | None:
    submission = _share(ONLINE_SUBMISSION, f.online, f.online + f.offline)
    payment = _share(ONLINE_PAYMENT, f.paid_online, f.payment_known)
    if submission is None and payment is None:
        return None
    return (submission or 0.0) + (payment or 0.0)


def scores(f: Figures) -> list[tuple[str, float | None, str, str]]:
    """(code, points, unit, label) of the five groups and the total."""
    groups = [
        (indicators.PUBLIC_SERVICE_INDEX_766_PUBLICITY, _share(PUBLICITY, f.with_due, f.received)),
        (
            indicators.PUBLIC_SERVICE_INDEX_766_PROGRESS,
            _share(PROGRESS, f.resolved_on_time, f.resolved_on_time + f.resolved_late),
        ),
        (
            indicators.PUBLIC_SERVICE_INDEX_766_DIGITISATION,
            _share(DIGITISATION, f.digitised, f.digitised_known),
        ),
        (indicators.PUBLIC_SERVICE_INDEX_766_ONLINE, _online(f)),
        (indicators.PUBLIC_SERVICE_INDEX_766_SATISFACTION, _share(SATISFACTION, f.satisfied, f.rated)),
    ]
    total = round(sum(points or 0.0 for _, points in groups), 6)
    missing = ",".join(code.rsplit("_", 1)[-1] for code, points in groups if points is None)
    rounded = [(code, None if points is None else round(points, 6), POINTS, "") for code, points in groups]
    return [*rounded, (indicators.PUBLIC_SERVICE_INDEX_766, total, POINTS, missing)]
