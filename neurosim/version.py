"""The package version, in a module of its own so that every stage can read it without
importing the package facade (:mod:`neurosim`), which imports every stage."""

__version__ = "0.1.0"
