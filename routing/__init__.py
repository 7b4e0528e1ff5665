"""Alert routing: every alert change from `ioc.derived.alerts` to the officers on duty, with
grouping, silences, channels, acknowledgement, escalation and an audit trail (see docs/alert_routing.md)."""
