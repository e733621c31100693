"""A throwaway Dovecot on 127.0.0.1 for the IMAP tests."""
