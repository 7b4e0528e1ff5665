"""The gateway's errors, one base class, each carrying what a client needs to act on it."""

from __future__ import annotations


class IngestError(Exception):
    """Any refusal or failure of the ingestion gateway."""


class KafkaUnavailableError(IngestError):
    """Kafka did not acknowledge in time. What it did acknowledge is remembered (a retry of the whole
    request stores only the rest); retry after `retry_after_s`."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ConfigError(IngestError):
    """A keys file or bridge configuration that cannot be used, naming the file, entry and field."""


class BrokerRefusedError(IngestError):
    """The MQTT broker cannot be reached or refused the bridge's login: `hint` says what to fix."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint
