"""Supply-chain demand forecasting and inventory optimisation platform: shared CLI and configuration."""

__version__ = "0.1.0"
