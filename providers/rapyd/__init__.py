"""Rapyd Collect: signed requests (signing), the status map (status), payloads and the adapter."""
