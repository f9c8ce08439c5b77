"""The settings document (design.md §5): schemas, validation and loading into domain objects."""

from .loading import SettingsError, load_settings

__all__ = ["SettingsError", "load_settings"]
