"""Webhooks: endpoints and subscriptions, safe targets, signed deliveries with retries."""
