"""The platform's model: what the indicators mean and how they are computed, with no engine in it.

Nothing here imports faust, aiokafka, confluent_kafka or a ClickHouse client (a unit test imports
each module in a fresh interpreter and checks), so the wall, the docs generator and the alert rules'
validation can read the indicator catalog and the level scales without starting a stream engine.
"""
