"""The optional LLM: fluent answers written only from the retrieved passages, checked before
they are shown, and the extractive answer whenever the LLM is off, slow, failing or wrong."""
