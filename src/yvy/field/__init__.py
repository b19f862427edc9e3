"""Field packages: what a ranger team takes offline (alerts and targets as GeoPackage and GPX, an
MBTiles basemap of recent imagery). Nothing here imports the CLI, rich or FastAPI.
"""

__all__: list[str] = []
