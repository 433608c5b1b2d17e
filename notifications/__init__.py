"""Notifications: outbox rows delivered to people, in an in-app inbox and by email, with retries.

engine/ writes outbox rows in the transaction of the change they announce; this package reads
them after the commit, never the other way round (engine/ imports nothing from here).
"""
