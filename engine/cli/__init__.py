"""The ``passerelle`` command line. Its process compiles the methods of dataclasses when first used
(start-up time: see :mod:`engine.util.lazymethods`)."""
from engine.util import lazymethods

lazymethods.install()
