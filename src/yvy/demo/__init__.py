"""yvy.demo: synthetic Sentinel-2 L2A scenes over the Paraguayan Chaco with known clearings.

Domain layer: may use numpy, scipy, rasterio, pyproj and shapely; must not import click,
rich, sqlite3, yvy.storage or yvy.cli.
"""

from .generator import ClearingTruth, DemoResult, generate_demo

__all__ = ["ClearingTruth", "DemoResult", "generate_demo"]
