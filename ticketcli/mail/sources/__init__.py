"""Where mail comes from: local mailboxes, stdin, IMAP."""
