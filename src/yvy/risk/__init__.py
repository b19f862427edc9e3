"""Deforestation risk: covariates on a model grid, a calibrated model, risk maps and their evaluation.

Modules: :mod:`~yvy.risk.grid` (model grid, windows), :mod:`~yvy.risk.covariates` (rasters
resampled and vector layers turned into distance/inside rasters), :mod:`~yvy.risk.model` (fit,
save, load), :mod:`~yvy.risk.mapping` (streamed prediction to a COG), :mod:`~yvy.risk.evaluate`
(AUC, figure of merit, wRMSE beside the distance-to-edge benchmark) and :mod:`~yvy.risk.publish`
(catalog product). Nothing here imports the CLI, rich or the API.
"""

__all__: list[str] = []
