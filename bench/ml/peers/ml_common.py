"""What the Python baselines of `sluice bench ml` share: the pass protocol, the seed rows of
k-means, and answers in the shape bench/ml/shared.ts compares.

Protocol: the harness writes one JSON line of settings on stdin, the peer answers {"ready": ...}
on file descriptor 3 (stdout and stderr stay free for Spark's and Python's own output), then for
each {"pass": "W1"} line it sends {"iteration": i, "seconds": s} lines (W3) and one
{"answer": {...}} or {"error": "..."} line. End of stdin ends the peer.
"""
import json
import math
import os
import sys
import traceback
from urllib.parse import quote

FEATURES = ["rpm", "torque", "vibration", "temperature"]
Z_FEATURES = ["z_" + f for f in FEATURES]
LAG_WINDOW = 1
# Rolling frames of 30 readings: 29 before and the current one.
ROLLING = (-29, 0)
DAY = 86_400
LAST_DAY_READINGS = 1440


def round4(x):
    """MariaDB's AVG of an integer expression: DECIMAL with 4 digits, half away from zero (as naive.ts)."""
    return math.copysign(math.floor(abs(x) * 1e4 + 0.5) / 1e4, x)


def initial_keys(drills, per_drill, k):
    """The rows whose features seed the centroids (shared.ts initialKeys)."""
    return [{"drill": 1 + (i * 7919) % drills, "seq": (123 + i * 1013) % per_drill} for i in range(k)]


def pick_initial(rows, keys, features):
    """Row (drill, seq), or the first complete row after it in (drill, seq) order (shared.ts pickInitial)."""
    ordered = sorted(rows, key=lambda r: (int(r["drill_id"]), int(r["seq"])))
    centroids = []
    for key in keys:
        drill, seq = key["drill"], key["seq"]
        at = next((r for r in ordered if int(r["drill_id"]) == drill and int(r["seq"]) == seq), None)
        if at is None:
            at = next(
                (r for r in ordered if int(r["drill_id"]) > drill or (int(r["drill_id"]) == drill and int(r["seq"]) > seq)),
                ordered[0],
            )
        centroids.append([float(at[f]) for f in features])
    return centroids


def next_centroids(rows, features, previous):
    """New centroids from a step's per-cluster count and sums; an empty cluster keeps its centroid."""
    nxt = [list(c) for c in previous]
    for row in rows:
        n = int(row["n"])
        if n > 0:
            nxt[int(row["cluster"])] = [float(row["s_" + f]) / n for f in features]
    return nxt


def checksum(rows, keys, decimals4=()):
    """Rows and the sum of each non-key column (shared.ts tableChecksum); `decimals4` columns are
    rounded as MariaDB's DECIMAL AVG first."""
    out = {"rows": len(rows)}
    for row in rows:
        for name, value in row.items():
            if name in keys or value is None:
                continue
            value = float(value)
            if name in decimals4:
                value = round4(value)
            out[name] = out.get(name, 0.0) + value
    return out


def w1_answer(run, per_drill, per_day, fleet):
    """W1's answer from each engine's own aggregates: keeps the fleet's mean and stddev per feature
    for W3's standardizing, and checksums the per-drill and per-day statistics."""
    run.stats = {s: {"mean": fleet[f"{s}_mean"], "sd": fleet[f"{s}_sd"]} for s in FEATURES}
    over = ("vib_over", "temp_over")
    return {
        "perDrill": checksum(per_drill, ("drill_id",), over),
        "perDay": checksum(per_day, ("drill_id", "day"), over),
    }


def mysql_uri(settings):
    password = ":" + quote(settings["password"], safe="") if settings["password"] else ""
    return (
        f"mysql://{quote(settings['user'], safe='')}{password}@{settings['host']}:{settings['port']}/"
        f"{quote(settings['database'], safe='')}"
    )


def connect(settings):
    """A PyMySQL session on the benchmark's database (imported here: only W5 needs it)."""
    import pymysql

    return pymysql.connect(
        host=settings["host"],
        port=int(settings["port"]),
        user=settings["user"],
        password=settings["password"] or "",
        database=settings["database"],
        autocommit=True,
    )


def upsert_scores(settings, rows):
    """W5's write-back: multi-row INSERT … ON DUPLICATE KEY UPDATE through PyMySQL, 2000 rows a statement."""
    connection = connect(settings)
    try:
        with connection.cursor() as cursor:
            for i in range(0, len(rows), 2000):
                cursor.executemany(
                    "INSERT INTO drill_scores (drill_id, seq, score) VALUES (%s, %s, %s) "
                    "ON DUPLICATE KEY UPDATE score = VALUES(score)",
                    rows[i : i + 2000],
                )
    finally:
        connection.close()


def execute(settings, sql):
    """One statement through PyMySQL (the Spark baseline's merge of its staged scores)."""
    connection = connect(settings)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def serve(open_run, passes):
    """Reads settings, opens the run, then answers pass requests until stdin ends."""
    channel = os.fdopen(3, "w", buffering=1)

    def send(message):
        channel.write(json.dumps(message) + "\n")
        channel.flush()

    settings = json.loads(sys.stdin.readline())
    try:
        run = open_run(settings)
    except Exception:  # noqa: BLE001 - reported to the harness, which fails the mode
        send({"error": traceback.format_exc()})
        return
    send({"ready": True, "versions": run.versions})
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            answer = passes[request["pass"]](run, lambda i, s: send({"iteration": i, "seconds": s}))
            send({"answer": answer})
        except Exception:  # noqa: BLE001 - reported to the harness, which fails the mode
            send({"error": traceback.format_exc()})
    run.close()
