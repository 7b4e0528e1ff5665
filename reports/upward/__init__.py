"""The bridge upward: each finished report and its indicator set sent to the Government reporting
information system (Decree 09/2019/NĐ-CP), signed, once, from an outbox with retries (docs/upward.md)."""
