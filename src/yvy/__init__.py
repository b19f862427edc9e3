"""yvy: a self-hosted Earth-observation ground segment.

Layers (imports point left):
``kernels`` <- ``catalog``, ``cube``, ``change``, ``alerts``, ``demo`` (domain)
<- ``storage``, ``cli`` (adapters). Leaves importable from anywhere:
``errors``, ``config``, ``io``.

This module imports nothing heavy.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
