"""The operations console: the control room's workstations in a browser (issue 18, item 2).

Served by `ioc console serve` (and by `ioc run`), in Vietnamese, on loopback by default. Persons sign
in with accounts of their own (console.accounts), see the open alerts pushed live (console.queue),
open an alert's history, evidence and map (console.app, console.mapsvg), search past alerts, and act
on an alert through the alert router's API (console.router_client); every action and every refusal
is written to the console's audit log (console.audit).
"""
