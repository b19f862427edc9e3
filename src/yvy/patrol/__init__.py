"""Drone patrol planning: targets from risk hot spots and alerts, prize-collecting routes
(OR-Tools), flight files (QGroundControl .plan, KML, GPX, GeoJSON) and a PDF briefing.

Nothing here imports the CLI, rich or the API; alerts come in as domain objects.
"""

__all__: list[str] = []
