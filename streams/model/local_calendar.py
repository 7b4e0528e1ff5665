"""Days and months as the province lives them: windows aligned to local midnight (Asia/Ho_Chi_Minh),
carried as UTC epoch milliseconds.

"Today" and "month to date" figures (dossiers, daily VN_AQI) follow the Vietnamese calendar day, not
the UTC one, which would cut every local day at 07:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAY_MS = 24 * 3600 * 1000


def _local(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(VN_TZ)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def day_window(ms: int) -> tuple[int, int]:
    """[start, end) of the local day holding the instant, in UTC epoch milliseconds."""
    start = _local(ms).replace(hour=0, minute=0, second=0, microsecond=0)
    return _ms(start), _ms(start + timedelta(days=1))


def month_window(ms: int) -> tuple[int, int]:
    """[start, end) of the local calendar month holding the instant, in UTC epoch milliseconds."""
    start = _local(ms).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (start + timedelta(days=32)).replace(day=1)
    return _ms(start), _ms(following)
