"""Demand forecasting: backtested model selection per series, prediction intervals, accuracy against baselines."""
