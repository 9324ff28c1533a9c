"""Shipped hardware descriptions (YAML), installed as ``neurosim.hw_models``.

Find them with :func:`neurosim.hardware.list_hardware` and load them by name with
:func:`neurosim.hardware.load_hardware`.
"""
