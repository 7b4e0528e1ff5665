"""Topics as code: every Kafka topic of the platform, and the command that makes the broker match."""
