"""Send one simulated local day of the province, from 2 h before it to 10 min after, to the configured
or local Kafka as fast as the stack takes it: the data behind the example daily brief
(docs/reports/daily-example.pdf), and a way to try `ioc report daily` on a day that has passed.

    python -m load_tests.past_day 2026-12-07 --cameras 20
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ioc.province import load_province
from ioc.settings import Settings
from load_tests.live import BATCH_SIZE, feed_sender
from load_tests.pacing import send_batched
from load_tests.province_sim import ProvinceSimulator, SimConfig

VN = ZoneInfo("Asia/Ho_Chi_Minh")
STEP = timedelta(minutes=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("day", type=date.fromisoformat, help="the local day, YYYY-MM-DD")
    parser.add_argument("--cameras", type=int, default=20, help="cameras to simulate")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    settings = Settings()
    start = datetime.combine(args.day, time(0), VN) - timedelta(hours=2)
    until = datetime.combine(args.day + timedelta(days=1), time(0), VN) + STEP
    province = load_province(settings.province_file)
    simulator = ProvinceSimulator(province, args.seed, start, SimConfig(cameras=args.cameras))
    sender, at, sent = feed_sender(settings), start, 0
    while at < until:
        at += STEP
        emissions = simulator.due(at)
        send_batched(sender, emissions, BATCH_SIZE)
        sent += len(emissions)
        print(f"{at.astimezone(VN):%d/%m %H:%M}: {sent:,} records", flush=True)
    sender.flush()


if __name__ == "__main__":
    main()
