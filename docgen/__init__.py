"""docgen: printable patient documents for aesthetic clinics."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("docgen")
except PackageNotFoundError:  # running from a source checkout that is not installed
    __version__ = "0.0.0+source"
