"""Work delivered outside the request: the email outbox (and later webhooks)."""
