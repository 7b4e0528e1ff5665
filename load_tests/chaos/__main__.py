"""`python -m load_tests.chaos [--variant short|full]` (also `ioc chaos`): see load_tests/chaos/__init__.py."""

from load_tests.chaos.cli import main

main()
