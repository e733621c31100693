"""ticketcli: an email helpdesk for small support teams, run from the shell and cron."""

__version__ = "0.1.0"
