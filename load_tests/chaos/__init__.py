"""The chaos run: the platform on a three-broker cluster under steady load, struck by a schedule of
faults, then checked from the ledger of acknowledged records and ClickHouse alone.

`platform.py` starts the parts, `load.py` sends the province through the gateways and fills the
ledger (`ledger.py`), `schedule.py` holds the faults, `verify.py` the checks, `run.py` the run, and
`cli.py` prints the table and writes it as JSON under `load_tests/results/`.
"""
