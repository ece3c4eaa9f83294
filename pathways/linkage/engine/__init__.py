"""The record linkage engine: pure Python over pandas, Splink 5 and DuckDB, no Django.

``records`` (the frame layout), ``normalise`` (preparing a frame for the model), ``model``
(settings, training, prediction, explanations, fast paths), ``clusters`` (components with
must-link and cannot-link) and ``generator`` (synthetic records with the truth). Import the
submodules; this package imports nothing heavy so the app does not pay Splink's import
time until linkage runs.
"""
