"""Disaster products: flood extent (:mod:`.flood`), active-fire events (:mod:`.fires`), burn scars and
severity (:mod:`.burn`) and event reports (:mod:`.report`).

Domain code: may use numpy, rasterio, shapely, geopandas, scikit-learn and the yvy kernels;
never click, rich, fastapi or :mod:`yvy.storage`.
"""
