"""One reader per intent: each takes a clause and gives a reading or None."""
