"""Meeting minutes and chat digests: pure code over transcripts, records and ports."""
