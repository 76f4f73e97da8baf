"""Arcadier marketplace API v2: admin token, invoice payments update, invoice email, transaction read."""
