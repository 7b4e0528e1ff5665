"""The centre's reports: the daily operations brief (HTML and PDF, from ClickHouse alone), its
delivery by e-mail and the bridge upward to the Government reporting information system."""
