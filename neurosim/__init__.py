"""neurosim: what a trained network costs on a neuromorphic chip.

The pipeline flows one way, one package per stage::

    ann/ --convert(code)--> snn/ --compile(hw)--> compiler/ --engine--> engine/ --> energy --> report/
          (coding/)                (hardware/)

Each stage takes plain objects from the one before and returns new ones.
"""

__version__ = "0.1.0"
