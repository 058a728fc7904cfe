"""Offline side: documents -> structure -> chunks -> index."""
