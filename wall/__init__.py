"""The IOC video wall as code: Grafana dashboards, screen layout, playlists, deployment and snapshots.

Everything a wall screen shows is defined once here (panels and their ClickHouse SQL) and used three
ways: written as Grafana JSON under `grafana/`, uploaded to a Grafana server, and rendered to PNG
images by `ioc wall snapshot` where no Grafana runs.
"""
