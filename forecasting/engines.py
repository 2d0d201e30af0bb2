"""Where statsforecast runs: in this process (n_jobs cores), or on Spark through Fugue for series counts one
machine cannot hold. The same StatsForecast calls serve both; only the frame handed over differs."""

from __future__ import annotations

import pandas as pd


def to_engine(frame: pd.DataFrame, spark) -> object:
    """The frame statsforecast should receive: pandas as is, or a Spark DataFrame partitioned by series."""
    if spark is None:
        return frame
    spark_frame = spark.createDataFrame(frame.assign(ds=pd.to_datetime(frame["ds"])))
    # statsforecast partitions by unique_id itself; a few partitions per core keep local runs quick.
    return spark_frame.repartition(max(2, spark.sparkContext.defaultParallelism * 2), "unique_id")


def from_engine(result) -> pd.DataFrame:
    """statsforecast's answer as pandas, whichever engine produced it."""
    if isinstance(result, pd.DataFrame):
        return result
    frame = result.toPandas()
    frame["ds"] = pd.to_datetime(frame["ds"])
    if "cutoff" in frame:
        frame["cutoff"] = pd.to_datetime(frame["cutoff"])
    return frame.sort_values([c for c in ("unique_id", "cutoff", "ds") if c in frame]).reset_index(drop=True)
