"""The marketplace's install and uninstall calls."""
