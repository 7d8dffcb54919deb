"""Configuration: parsing, validation and the instance catalog.

Nothing in this package imports cdktf or provider bindings, so a bad file is
rejected before the (slow) binding import starts.
"""

from .load import ConfigError, LoadedConfig, load_config

__all__ = ["ConfigError", "LoadedConfig", "load_config"]
