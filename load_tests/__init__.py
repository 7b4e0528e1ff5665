"""The province simulator, load tests and the benchmark."""
