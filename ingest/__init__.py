"""The ingestion gateway: the doors through which vendors and departments push data without Kafka.

HTTP (one route per input feed), MQTT (a bridge from sensor topics) and files (CSV and Excel reports)
all go through one `Gateway`: the same validation against the feed's Avro contract, the same error
shape, the same dead letters, the same idempotency, and an answer only after the broker acknowledged.
"""
