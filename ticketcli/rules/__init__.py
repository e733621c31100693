"""The rules: pure functions over mail and small lookups.

No database, no command line: each takes plain values and small lookup
protocols, so it is tested without a store.
"""
