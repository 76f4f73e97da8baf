"""modulus® invoicing v1: token authentication, invoice creation and status updates (sent, void)."""
