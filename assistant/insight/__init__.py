"""Insight over the team's records: delay risk (and, next, summaries and reports). Pure code
over records and ports; no I/O."""
