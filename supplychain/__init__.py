"""Supply-chain demand forecasting and inventory optimisation platform: the command line, on top of every other
package (the stages, the sample-data generator `sample_data`, the analysts' docs site and report `analyst`, and
`orchestration`). The shared ground floor is the `foundation` package."""

__version__ = "0.1.0"
