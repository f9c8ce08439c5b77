"""Everything that talks to the host helpdesk: the commands the plugin sends (delivery comes with the worker)."""
