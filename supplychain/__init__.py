"""Supply-chain demand forecasting and inventory optimisation platform: the command line, the sample-data generator
and the analysts' docs site and report. The shared ground floor is the `foundation` package."""

__version__ = "0.1.0"
