"""The memory's storage: the SQL side (passages, keyword index, queue) and the Chroma index."""
