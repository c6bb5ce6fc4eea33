"""The coordinator's dashboard: the admin's start page, its CSV export and the monthly report.

A read-only room: it only calls the selectors of `network` and `campaigns` (and queues the report through
`campaigns.services`), and nothing imports it. It hooks itself in: its AppConfig gives the admin site its start
page template, crm/urls.py includes its URLs by name, and the beat schedule names its task.
"""
