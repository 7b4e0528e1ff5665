"""The benchmark: the platform's traffic pipeline (with one worker and with two) against three peers, on
one broker and the same data.

`python -m load_tests.benchmark --mode short|full` (or `ioc bench`). Modules the peers' processes
import (`aggregate`, `ceiling`, `quix_pipeline`) use only the standard library and their own
pipeline's libraries, because the Quix Streams peer runs in a virtualenv of its own.
"""
