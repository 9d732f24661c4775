"""Insight over the team's records: summaries (minutes, digests), reports and risk."""
