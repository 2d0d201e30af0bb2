"""The Spark session every stage uses: Glue's own on AWS, a tuned local one otherwise, with the project's settings."""

from __future__ import annotations

from pyspark.sql import SparkSession

from foundation.jvm_archive import archive_dir, driver_options
from foundation.settings import Settings

try:  # present on Glue workers only
    from awsglue.context import GlueContext
    from awsglue.job import Job
except ImportError:
    GlueContext = Job = None


# The project's Spark settings that a running session accepts. Every job applies them to the session it is given,
# Glue's own as well as the local one, so a Glue run and a local run write the same output. Glue 5.0 runs Spark
# 3.5.4 and the project pins 4.x: where their defaults differ, the setting pins 4.x's behaviour.
SESSION_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.adaptive.enabled": "true",
    # Partition values such as 2024-03 stay strings instead of being guessed into dates.
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    # Daily drops are small and many: list them on the driver and pack many into one task.
    "spark.sql.sources.parallelPartitionDiscovery.threshold": "100000",
    "spark.sql.files.openCostInBytes": str(256 << 10),
    "spark.sql.parquet.compression.codec": "snappy",
    "spark.sql.streaming.forceDeleteTempCheckpointLocation": "true",
    # No _SUCCESS markers under processed/: a Redshift COPY of the prefix would read them as data. Set as a session
    # setting it reaches the Hadoop configuration of every write (Spark copies SQL settings into it).
    "mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
    # Spark 3.5 defaults to EXCEPTION: a date its new parser rejects but the old one read (2024-1-2) fails the
    # whole batch with SparkUpgradeException. CORRECTED (4.x's default) returns null: quarantined as invalid_date.
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    # 4.x's default; 3.5 defaults to false. The rules use try_* functions either way; this keeps every other
    # expression (casts, arithmetic) failing or passing the same on both.
    "spark.sql.ansi.enabled": "true",
    # Spark 3.5 defaults these four to EXCEPTION: writing a date before 1582-10-15 (a launch_date typed 0202-05-01
    # passes the rules) throws WRITE_ANCIENT_DATETIME and the job exits with no report. CORRECTED (4.x's default)
    # writes and reads the proleptic Gregorian value as it is, as pyarrow, DuckDB and Redshift read it.
    "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
}


# A local session's shuffles: few cores, small batches (and one file per output partition relies on few tasks).
LOCAL_SHUFFLE_PARTITIONS = 4


def apply_project_settings(spark: SparkSession) -> SparkSession:
    """Sets the project's session settings on a session someone else built (Glue's) or on the local one."""
    for key, value in SESSION_SETTINGS.items():
        spark.conf.set(key, value)
    spark.conf.set("spark.sql.shuffle.partitions", str(shuffle_partitions(spark)))
    return spark


def shuffle_partitions(spark: SparkSession) -> int:
    """Two shuffle tasks per executor core of the cluster, so raising GlueNumberOfWorkers makes the merge run on
    more cores (adaptive execution coalesces them again for a small batch); a local session keeps 4. Glue gives
    each worker one executor (spark.executor.instances, or dynamic allocation's maximum) of spark.executor.cores."""
    conf = spark.sparkContext.getConf()
    cores = int(conf.get("spark.executor.cores", "1"))
    executors = int(conf.get("spark.executor.instances", "0"))
    if conf.get("spark.dynamicAllocation.enabled", "false") == "true":
        executors = max(executors, int(conf.get("spark.dynamicAllocation.maxExecutors", "0")))
    if executors <= 0:  # local mode: no executors of its own
        return LOCAL_SHUFFLE_PARTITIONS
    return max(LOCAL_SHUFFLE_PARTITIONS, 2 * executors * cores)


# Ingestion runs are short: the quick C1 compiler alone warms up sooner than tiered C2 (measured: about 6 s less per
# run on 2 cores, with no loss on the largest source). A long-lived session (the test suite's, a large run) compiles
# many generated classes: the default code cache once filled and the JVM died ("Out of space in CodeCache for
# adapters"), so it gets more room (reserved address space, not memory).
LOCAL_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseParallelGC -XX:ReservedCodeCacheSize=768m"


def local_java_options(settings: Settings) -> str:
    """The local driver's JVM options, with the class-data archive when this venv has a complete one for them."""
    archive = driver_options(archive_dir(settings.jvm_archive_dir), LOCAL_JAVA_OPTIONS, settings.jvm_archive_dump)
    return f"{LOCAL_JAVA_OPTIONS} {archive}".strip()


def spark_session(app_name: str, settings: Settings | None = None) -> SparkSession:
    """Glue's session on AWS, a tuned local session otherwise; the project's settings applied to either."""
    if GlueContext is not None:
        from pyspark.context import SparkContext

        return apply_project_settings(GlueContext(SparkContext.getOrCreate()).spark_session)
    settings = settings or Settings.from_env()
    # Only what must be fixed before the JVM starts is set here; the rest is SESSION_SETTINGS.
    builder = (
        SparkSession.builder.appName(app_name)
        .master(settings.spark_master)
        .config("spark.driver.memory", settings.spark_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.extraJavaOptions", local_java_options(settings))
        .config("spark.ui.showConsoleProgress", "false")
        # PySpark 4 records the Python call site of every Column function and operator for error messages: each
        # `F.col`, `==` or `.alias` then costs seven more calls to the JVM and a walk of the Python stack. Whether
        # it does is decided once per process, at the first Column call: on when that thread has an active session
        # (the test suite), off when not (the CLI's ingest, whose first call is in a source's thread). Set, it is
        # off either way (BENCHMARKS.md, session 34); an analysis error still names the column and its plan.
        .config("spark.python.sql.dataFrameDebugging.enabled", "false")
        # Each source's thread submits its jobs to a pool of its own (ingestion/runner.py): under FIFO a source's
        # small jobs (a quarantine's append, a master's publish) queued behind another source's large stage.
        .config("spark.scheduler.mode", "FAIR")
        # Plain local file system: no .crc side files to read or write.
        .config("spark.hadoop.fs.file.impl", "org.apache.hadoop.fs.RawLocalFileSystem")
        .config("spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")  # locally only: on Glue, its own log settings stand
    return apply_project_settings(spark)
