"""The `connectorx-polars` baseline of `sluice bench ml`: ConnectorX reads hand-written SQL into
Arrow (the readings partitioned by drill id, once, kept in memory as a Polars DataFrame, as a
Polars user would), and Polars computes W1-W5. Scores go back with PyMySQL upserts.
Run by bench/ml/peer.ts; see ml_common.py for the protocol."""
import time

import connectorx as cx
import polars as pl
import pyarrow

from ml_common import (
    FEATURES,
    LAG_WINDOW,
    LAST_DAY_READINGS,
    ROLLING,
    Z_FEATURES,
    DAY,
    initial_keys,
    mysql_uri,
    next_centroids,
    pick_initial,
    serve,
    upsert_scores,
    w1_answer,
)


class Run:
    def __init__(self, settings):
        self.settings = settings
        self.uri = mysql_uri(settings)
        self.versions = {"connectorx": cx.__version__, "polars": pl.__version__, "pyarrow": pyarrow.__version__}
        self.readings = None
        self.windowed = None
        self.z = None
        self.stats = None
        self.centroids = None

    def read(self, sql, partitioned=False):
        if partitioned:
            return cx.read_sql(
                self.uri,
                sql,
                return_type="polars",
                partition_on="drill_id",
                partition_num=int(self.settings["partitions"]),
            )
        return cx.read_sql(self.uri, sql, return_type="polars")

    def table(self):
        """The readings, read once and kept (the first pass that needs them pays for the read)."""
        if self.readings is None:
            self.readings = self.read(
                "SELECT drill_id, seq, ts, day, rpm, torque, vibration, temperature FROM drill_readings",
                partitioned=True,
            )
        return self.readings

    def close(self):
        pass


def stats_program(readings, keys):
    return readings.group_by(keys).agg(
        pl.len().alias("n"),
        *[
            e
            for s in FEATURES
            for e in (
                pl.col(s).mean().alias(f"{s}_mean"),
                pl.col(s).std().alias(f"{s}_sd"),
                pl.col(s).min().alias(f"{s}_min"),
                pl.col(s).max().alias(f"{s}_max"),
            )
        ],
        pl.when(pl.col("vibration") > 2).then(1).otherwise(0).mean().alias("vib_over"),
        pl.when(pl.col("temperature") > 90).then(1).otherwise(0).mean().alias("temp_over"),
    )


def w1(run, _on_iteration):
    readings = run.table()
    per_drill = stats_program(readings, ["drill_id"]).to_dicts()
    per_day = stats_program(readings, ["drill_id", "day"]).to_dicts()
    fleet = readings.select(
        *[e for s in FEATURES for e in (pl.col(s).mean().alias(f"{s}_mean"), pl.col(s).std().alias(f"{s}_sd"))]
    ).to_dicts()[0]
    return w1_answer(run, per_drill, per_day, fleet)


def w2(run, _on_iteration):
    size = ROLLING[1] - ROLLING[0] + 1
    run.windowed = (
        run.table().sort("drill_id", "seq")
        .select(
            "drill_id",
            "seq",
            "ts",
            "vibration",
            "temperature",
            pl.col("vibration").shift(LAG_WINDOW).over("drill_id").alias("vib_lag"),
            pl.col("vibration").rolling_mean(size, min_samples=1).over("drill_id").alias("vib_mean"),
            pl.col("vibration").rolling_std(size, min_samples=2).over("drill_id").alias("vib_sd"),
            pl.col("temperature").rolling_mean(size, min_samples=1).over("drill_id").alias("temp_mean"),
            pl.col("temperature").rolling_std(size, min_samples=2).over("drill_id").alias("temp_sd"),
        )
    )
    sums = run.windowed.select(
        pl.len().alias("n"), *[pl.col(c).sum() for c in ("vib_lag", "vib_mean", "vib_sd", "temp_mean", "temp_sd")]
    ).to_dicts()[0]
    return {"window": sums}


def squared_distance(centroid):
    total = None
    for i, f in enumerate(Z_FEATURES):
        diff = pl.col(f) - centroid[i]
        total = diff * diff if total is None else total + diff * diff
    return total


def assign(frame, centroids):
    names = [f"__d{k}" for k in range(len(centroids))]
    cluster = pl.when(pl.col(names[0]) == pl.col("d2")).then(0)
    for k in range(1, len(names)):
        cluster = cluster.when(pl.col(names[k]) == pl.col("d2")).then(k)
    return (
        frame.with_columns([squared_distance(c).alias(names[k]) for k, c in enumerate(centroids)])
        .with_columns(pl.min_horizontal(names).alias("d2"))
        .with_columns(cluster.alias("cluster"))
        .drop(names)
    )


def standardized(run):
    if run.z is None:
        complete = pl.all_horizontal([pl.col(f).is_not_null() for f in FEATURES])
        run.z = run.table().filter(complete).select(
            "drill_id",
            "seq",
            *[((pl.col(f) - run.stats[f]["mean"]) / run.stats[f]["sd"]).alias(z) for f, z in zip(FEATURES, Z_FEATURES)],
        )
    return run.z


def w3(run, on_iteration):
    z = standardized(run)
    s = run.settings
    keys = initial_keys(s["drills"], s["readingsPerDrill"], s["k"])
    candidates = z.filter(pl.col("seq").is_in(sorted({key["seq"] for key in keys}))).to_dicts()
    centroids = pick_initial(candidates, keys, Z_FEATURES)
    lazy = z.lazy()
    for i in range(s["iterations"]):
        started = time.perf_counter()
        rows = (
            assign(lazy, centroids)
            .group_by("cluster")
            .agg(pl.len().alias("n"), *[pl.col(f).sum().alias(f"s_{f}") for f in Z_FEATURES])
            .collect()
            .to_dicts()
        )
        centroids = next_centroids(rows, Z_FEATURES, centroids)
        on_iteration(i + 1, time.perf_counter() - started)
    run.centroids = centroids
    return {"centroids": centroids}


def w4(run, _on_iteration):
    failures = run.read("SELECT drill_id, MIN(failed_at) AS f1, MAX(failed_at) AS f2 FROM drill_failures GROUP BY drill_id")

    def within(f):
        return (pl.col(f) > pl.col("ts")) & (pl.col(f) <= pl.col("ts") + DAY)

    training = (
        run.windowed.join(failures, on="drill_id", how="left")
        .with_columns(pl.when(within("f1") | within("f2")).then(1).otherwise(0).alias("label"))
        .drop("f1", "f2")
    )
    training.write_ipc(f"{run.settings['outDir']}/training-connectorx-polars.arrow")
    return {"rows": training.height, "positives": int(training["label"].sum())}


def w5(run, _on_iteration):
    z = standardized(run)
    last_day = run.settings["readingsPerDrill"] - LAST_DAY_READINGS
    scored = assign(z.filter(pl.col("seq") >= last_day), run.centroids).select(
        "drill_id", "seq", pl.col("d2").sqrt().alias("score")
    )
    upsert_scores(run.settings, scored.rows())
    top = (
        scored.group_by("drill_id")
        .agg(pl.col("score").max().alias("max_score"))
        .sort(["max_score", "drill_id"], descending=[True, False])
        .head(5)
    )
    return {"rows": scored.height, "total": scored["score"].sum(), "top": top["drill_id"].to_list()}


if __name__ == "__main__":
    serve(Run, {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W5": w5})
