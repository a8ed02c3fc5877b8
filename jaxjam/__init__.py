"""jaxjam: JAX end-to-end simulator and MAPPO learner for cooperative jamming."""

from jaxjam.xla_flags import floor_on_import as _floor_on_import

__version__ = "0.1.0"

_floor_on_import()  # XLA:CPU's thread floor on small machines, before JAX's backend starts
