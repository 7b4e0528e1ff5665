"""The IOC video wall as code: Grafana dashboards, screen layout, playlists, deployment and snapshots.

Everything a wall screen shows is defined once here (panels and their ClickHouse SQL) and used three
ways: written as Grafana JSON under `grafana/`, uploaded to a Grafana server, and, where no Grafana
runs, drawn in a browser by the platform's wall app (`wall/web`, `ioc wall serve`), whose pages
`ioc wall snapshot` photographs.
"""
