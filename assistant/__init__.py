"""Runtime of the collective-economy assistant: retrieval, answers, API, CLI."""
