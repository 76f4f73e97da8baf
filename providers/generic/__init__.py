"""The generic invoicing API (PUT /api/v1/Invoice/Update): a full-replace update with configurable auth."""
