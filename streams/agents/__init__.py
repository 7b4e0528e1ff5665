"""The agents: each declares the processors of one family of indicators on the engine (streams/engine)
with its models (streams/model). Thin by design: no windowing, no Kafka handling of their own."""
