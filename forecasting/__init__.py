"""Demand forecasting: backtested model selection per series, prediction intervals, accuracy against baselines.
The stage's entry point is `forecasting.run.run(options, resources)`; forecaster.py is what other stages call."""
