"""A tenant's lifecycle: the marketplace's install and uninstall calls (``routes``), and the
operator's commands on installed accounts (``commands``: ``sla-plugin tenants``)."""
