"""The host's ticket webhooks: payload parsing (``payloads``); the signed HTTP endpoint follows."""
