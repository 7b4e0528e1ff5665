"""ClickHouse sinks and the warehouse's DDL: Kafka topics in, tables out, nothing lost, nothing twice."""
