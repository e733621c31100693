"""Everything about mail itself: bytes in, values out; no database, no click."""
