"""The admin settings page embedded in the host as an iframe (its templates and static files live here)."""
