"""The desk: what happens to tickets, agents and mail, over the store."""
