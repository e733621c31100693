"""A throwaway PostgreSQL cluster on 127.0.0.1 for the backend tests."""
