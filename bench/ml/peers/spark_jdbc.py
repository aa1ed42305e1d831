"""The `spark-jdbc` baseline of `sluice bench ml`: Apache Spark (pyspark, local[2]) reading MariaDB
through the MariaDB JDBC driver, partitioned by drill id, with `.cache()` where a Spark user would
(the readings, the window features, the standardized k-means inputs, the scores), and W1-W5 as
the same DataFrame programs as bench/ml/programs.ts. W3's Lloyd steps are DataFrame programs on
the cached inputs: MLlib's KMeans cannot start from given centroids in pyspark.ml (no initial
model), and the benchmark needs the same centroids in every mode. W5 stages its scores with
Spark's JDBC writer (which has no upsert) and merges them with one INSERT … SELECT … ON DUPLICATE
KEY UPDATE. With `aggregatePushdown` (mode `spark-jdbc-pushdown`, Spark at its best setting) the
database is also a DSv2 catalog (`JDBCTableCatalog` with `pushDownAggregate`, `pushDownLimit`):
the passes that aggregate the tables (W1's statistics, W4's failure times) read them through it,
one partition each so the whole aggregate runs in MariaDB (Spark pushes an aggregate completely
only then, or when it groups by the partition column), and the explain of each lands in the log.
Run by bench/ml/peer.ts; see ml_common.py for the protocol."""
import time
from functools import reduce

import pyarrow
import pyarrow.compute
import pyarrow.ipc
import pyspark
from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F

from ml_common import (
    DAY,
    FEATURES,
    LAG_WINDOW,
    LAST_DAY_READINGS,
    ROLLING,
    Z_FEATURES,
    execute,
    initial_keys,
    next_centroids,
    pick_initial,
    serve,
    w1_answer,
)

STAGE = "drill_scores_spark_stage"
CATALOG = "mariadb"


class Run:
    def __init__(self, settings):
        self.settings = settings
        builder = (
            SparkSession.builder.master("local[2]")
            .appName("sluice-bench-ml")
            .config("spark.jars", ",".join(settings["jars"]))
            .config("spark.driver.memory", settings.get("driverMemory", "4g"))
            .config("spark.ui.enabled", "false")
        )
        # jdbc:mysql selects Spark's MySQL dialect (backquoted identifiers); the MariaDB driver
        # accepts that scheme with permitMysqlScheme.
        self.url = f"jdbc:mysql://{settings['host']}:{settings['port']}/{settings['database']}?permitMysqlScheme"
        self.pushdown = bool(settings.get("aggregatePushdown"))
        if self.pushdown:
            prefix = f"spark.sql.catalog.{CATALOG}"
            for key, value in {
                "": "org.apache.spark.sql.execution.datasources.v2.jdbc.JDBCTableCatalog",
                ".url": self.url,
                ".driver": "org.mariadb.jdbc.Driver",
                ".user": settings["user"],
                ".password": settings["password"] or "",
                ".fetchsize": "10000",
                ".pushDownAggregate": "true",
                ".pushDownLimit": "true",
            }.items():
                builder = builder.config(prefix + key, value)
        self.spark = builder.getOrCreate()
        self.spark.sparkContext.setLogLevel("WARN")
        self.properties = {
            "user": settings["user"],
            "password": settings["password"] or "",
            "driver": "org.mariadb.jdbc.Driver",
            "fetchsize": "10000",
        }
        self.versions = {"pyspark": pyspark.__version__, "pyarrow": pyarrow.__version__, "jars": settings["jars"]}
        self.readings = None
        self.windowed = None
        self.z = None
        self.stats = None
        self.centroids = None

    def table(self):
        """The readings: a JDBC read partitioned by drill id, cached (the first pass that needs them pays)."""
        if self.readings is None:
            drills = int(self.settings["drills"])
            self.readings = (
                self.spark.read.jdbc(
                    self.url,
                    "drill_readings",
                    column="drill_id",
                    lowerBound=1,
                    upperBound=drills + 1,
                    numPartitions=int(self.settings["partitions"]),
                    properties=self.properties,
                )
                .select("drill_id", "seq", "ts", "day", *FEATURES)
                .cache()
            )
        return self.readings

    def aggregated(self, name):
        """A table to aggregate: through the catalog (aggregates pushed down) in pushdown mode."""
        if self.pushdown:
            return self.spark.table(f"{CATALOG}.{self.settings['database']}.{name}")
        if name == "drill_readings":
            return self.table()
        return self.spark.read.jdbc(self.url, name, properties=self.properties)

    def collect(self, frame):
        """Rows as dicts; in pushdown mode the plan goes to the log first (PushedAggregates shows)."""
        if self.pushdown:
            print(frame._jdf.queryExecution().executedPlan().toString(), flush=True)
        return [r.asDict() for r in frame.collect()]

    def close(self):
        self.spark.stop()


def stats_program(readings, keys):
    return readings.groupBy(*keys).agg(
        F.count(F.lit(1)).alias("n"),
        *[
            e
            for s in FEATURES
            for e in (
                F.avg(s).alias(f"{s}_mean"),
                F.stddev_samp(s).alias(f"{s}_sd"),
                F.min(s).alias(f"{s}_min"),
                F.max(s).alias(f"{s}_max"),
            )
        ],
        F.avg(F.when(F.col("vibration") > 2, 1).otherwise(0)).alias("vib_over"),
        F.avg(F.when(F.col("temperature") > 90, 1).otherwise(0)).alias("temp_over"),
    )


def w1(run, _on_iteration):
    readings = run.aggregated("drill_readings")
    per_drill = run.collect(stats_program(readings, ["drill_id"]))
    per_day = run.collect(stats_program(readings, ["drill_id", "day"]))
    fleet = run.collect(
        readings.agg(
            *[e for s in FEATURES for e in (F.avg(s).alias(f"{s}_mean"), F.stddev_samp(s).alias(f"{s}_sd"))]
        )
    )[0]
    return w1_answer(run, per_drill, per_day, fleet)


def w2(run, _on_iteration):
    by_drill = Window.partitionBy("drill_id").orderBy("seq")
    rolling = by_drill.rowsBetween(ROLLING[0], ROLLING[1])
    run.windowed = (
        run.table()
        .select(
            "drill_id",
            "seq",
            "ts",
            "vibration",
            "temperature",
            F.lag("vibration", LAG_WINDOW).over(by_drill).alias("vib_lag"),
            F.avg("vibration").over(rolling).alias("vib_mean"),
            F.stddev_samp("vibration").over(rolling).alias("vib_sd"),
            F.avg("temperature").over(rolling).alias("temp_mean"),
            F.stddev_samp("temperature").over(rolling).alias("temp_sd"),
        )
        .cache()
    )
    row = run.windowed.agg(
        F.count(F.lit(1)).alias("n"),
        *[F.sum(c).alias(c) for c in ("vib_lag", "vib_mean", "vib_sd", "temp_mean", "temp_sd")],
    ).collect()[0]
    return {"window": row.asDict()}


def squared_distance(centroid):
    terms = [(F.col(f) - F.lit(centroid[i])) * (F.col(f) - F.lit(centroid[i])) for i, f in enumerate(Z_FEATURES)]
    return reduce(lambda a, b: a + b, terms)


def assign(frame, centroids):
    names = [f"__d{k}" for k in range(len(centroids))]
    with_distances = frame.select("*", *[squared_distance(c).alias(names[k]) for k, c in enumerate(centroids)])
    with_nearest = with_distances.withColumn("d2", F.least(*[F.col(n) for n in names]))
    cluster = F.when(F.col(names[0]) == F.col("d2"), 0)
    for k in range(1, len(names)):
        cluster = cluster.when(F.col(names[k]) == F.col("d2"), k)
    return with_nearest.withColumn("cluster", cluster).drop(*names)


def standardized(run):
    if run.z is None:
        complete = reduce(lambda a, b: a & b, [F.col(f).isNotNull() for f in FEATURES])
        run.z = (
            run.table()
            .filter(complete)
            .select(
                "drill_id",
                "seq",
                *[
                    ((F.col(f) - F.lit(run.stats[f]["mean"])) / F.lit(run.stats[f]["sd"])).alias(z)
                    for f, z in zip(FEATURES, Z_FEATURES)
                ],
            )
            .cache()
        )
    return run.z


def w3(run, on_iteration):
    z = standardized(run)
    s = run.settings
    keys = initial_keys(s["drills"], s["readingsPerDrill"], s["k"])
    candidates = [r.asDict() for r in z.filter(F.col("seq").isin(sorted({key["seq"] for key in keys}))).collect()]
    centroids = pick_initial(candidates, keys, Z_FEATURES)
    for i in range(s["iterations"]):
        started = time.perf_counter()
        rows = [
            r.asDict()
            for r in assign(z, centroids)
            .groupBy("cluster")
            .agg(F.count(F.lit(1)).alias("n"), *[F.sum(f).alias(f"s_{f}") for f in Z_FEATURES])
            .collect()
        ]
        centroids = next_centroids(rows, Z_FEATURES, centroids)
        on_iteration(i + 1, time.perf_counter() - started)
    run.centroids = centroids
    return {"centroids": centroids}


def w4(run, _on_iteration):
    failures = (
        run.aggregated("drill_failures")
        .groupBy("drill_id")
        .agg(F.min("failed_at").alias("f1"), F.max("failed_at").alias("f2"))
    )

    def within(f):
        return (F.col(f) > F.col("ts")) & (F.col(f) <= F.col("ts") + F.lit(DAY))

    training = (
        run.windowed.join(failures, "drill_id", "left")
        .withColumn("label", F.when(within("f1") | within("f2"), 1).otherwise(0))
        .drop("f1", "f2")
    )
    table = training.toArrow()
    with pyarrow.ipc.new_file(f"{run.settings['outDir']}/training-spark-jdbc.arrow", table.schema) as writer:
        writer.write_table(table)
    return {"rows": table.num_rows, "positives": int(pyarrow.compute.sum(table.column("label")).as_py() or 0)}


def w5(run, _on_iteration):
    z = standardized(run)
    last_day = run.settings["readingsPerDrill"] - LAST_DAY_READINGS
    scored = (
        assign(z.filter(F.col("seq") >= last_day), run.centroids)
        .select("drill_id", "seq", F.sqrt(F.col("d2")).alias("score"))
        .cache()
    )
    scored.write.jdbc(run.url, STAGE, mode="overwrite", properties=run.properties)
    execute(
        run.settings,
        f"INSERT INTO drill_scores (drill_id, seq, score) SELECT drill_id, seq, score FROM {STAGE} "
        "ON DUPLICATE KEY UPDATE score = VALUES(score)",
    )
    execute(run.settings, f"DROP TABLE {STAGE}")
    total = scored.agg(F.count(F.lit(1)).alias("n"), F.sum("score").alias("total")).collect()[0]
    top = (
        scored.groupBy("drill_id")
        .agg(F.max("score").alias("max_score"))
        .orderBy(F.col("max_score").desc(), F.col("drill_id"))
        .limit(5)
        .collect()
    )
    return {"rows": int(total["n"]), "total": float(total["total"] or 0), "top": [int(r["drill_id"]) for r in top]}


if __name__ == "__main__":
    serve(Run, {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W5": w5})
