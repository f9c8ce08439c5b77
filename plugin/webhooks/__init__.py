"""POST /webhooks/<account_id>: the signed endpoint that stores each event in the tenant's inbox."""
