"""The files operators edit: the province (`province.yaml`), alert rules, the duty roster, the MQTT
bridge's routes and an example API key file. Installed with the platform as package data, so that an
installed `ioc` (the production image) finds the same defaults as a checkout; each can be replaced
by a file of one's own through its setting (README, "Settings")."""

from __future__ import annotations

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
