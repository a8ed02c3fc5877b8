"""jaxjam: JAX end-to-end simulator and MAPPO learner for cooperative jamming."""

__version__ = "0.1.0"
