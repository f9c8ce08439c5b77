"""The plugin's version: one place, read by the package metadata, the host client and the app."""

__version__ = "0.1.0"
