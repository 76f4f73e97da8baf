"""VTEX Orders API: the invoice notification, tracking updates and the order read back."""
