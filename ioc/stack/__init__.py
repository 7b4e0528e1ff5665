"""The local stack: a real Kafka broker, Apicurio Registry and the embedded chDB warehouse,
started without Docker on loopback ports, for development, tests and the embedded default."""
