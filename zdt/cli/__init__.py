"""The ``zdt`` command line."""
