"""Inbound provider webhooks: receive (authenticate, store every raw delivery), then process each event once.

- receivers.py: the endpoints under /api/webhooks/<kind>/<account_id>/
- verification.py: who sent it (Rapyd's signature, Arcadier's and VTEX's secret header)
- receiving.py: the stored delivery (WebhookEvent), headers stripped of secrets
- processing.py: the event applied to our invoice through the services, idempotently by event id; reprocessing
- events.py: the provider-neutral event the parsers in providers/<kind>/webhooks.py return
- kinds.py: which providers call us back, and each one's parser
"""
