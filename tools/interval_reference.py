#!/usr/bin/python3
"""The reference for carrycast's prediction intervals: a plain Python loop written from the definition.

The method (docs/intervals.md): per key, target field and forecast step, keep the last W absolute errors
|forecast - actual| of that step, each rounded to float32 as carrycast stores them. A forecast's interval at
level a for that step is value - q .. value + q, q the k-th smallest of the n kept errors, k = ceil((n + 1) * a);
when k > n the key has too few errors and the bound is null. Errors come from scoring (docs/live-accuracy.md):
when a key's event at time t is stepped in order, each of its waiting forecasts' steps whose target time is t is
scored against the event's values, and the forecast made at t is then published (with intervals from the errors
kept so far) and kept waiting. A late event neither scores nor is scored: the forecasts a correction publishes
carry intervals from the key's errors as they stand.

Two uses:

    /usr/bin/python3 tools/interval_reference.py events OUT.jsonl
        writes the fixture's events: three keys with the same signal and different noise (calm, medium, noisy),
        hourly, with two events of the noisy key delivered late (after the next one).

    /usr/bin/python3 tools/interval_reference.py expected EVENTS.jsonl FORECASTS.jsonl OUT.json W LEVEL...
        reads the events and the forecasts published for them, in the order published (the point values
        only; any bounds in them are ignored), and writes per forecast its key, event time, revision, values and
        the reference's bounds.

    /usr/bin/python3 tools/interval_reference.py buckets FIXTURE/expected.json FORECASTS.jsonl OUT.json W LEVEL...
        the same for a resampling fixture (tools/resample_reference.py): the actual of a step is the aggregate
        of the bucket starting at its target time, as PyTorch's reference computed it; a filled empty bucket
        publishes no forecast and is no actual.
"""
import json
import math
import random
import struct
import sys
from datetime import datetime, timedelta, timezone

KEY_FIELD = "series"
TARGETS = ["load", "temperature"]
CADENCE_MS = 3_600_000
NOISE = {"calm": (3.0, 0.3), "medium": (15.0, 1.5), "noisy": (60.0, 5.0)}
HOURS = 120
LATE = {"noisy": [40, 85]}  # hours whose event arrives after the next hour's
SEED = 20261204


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text):
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp() * 1000)


def make_events(out):
    rng = random.Random(SEED)
    start = parse("2024-05-01T00:00:00Z")
    per_hour = []
    for h in range(HOURS):
        row = []
        for key, (load_noise, temp_noise) in NOISE.items():
            daily = math.sin(2 * math.pi * h / 24)
            row.append({KEY_FIELD: key, "time": iso(start + h * CADENCE_MS),
                        "load": round(420 + 80 * daily + rng.gauss(0, load_noise), 3),
                        "temperature": round(18 + 5 * daily + rng.gauss(0, temp_noise), 3),
                        "humidity": round(62 + 10 * math.cos(2 * math.pi * h / 24) + rng.gauss(0, 2), 3)})
        per_hour.append(row)
    ordered = []
    held = {}
    for h, row in enumerate(per_hour):
        for event in row:
            key = event[KEY_FIELD]
            if h in LATE.get(key, []):
                held[key] = event  # sent after the key's next event
                continue
            ordered.append(event)
            if key in held:
                ordered.append(held.pop(key))
    with open(out, "w") as f:
        for event in ordered:
            f.write(json.dumps(event) + "\n")


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def half_width(errors, level):
    n = len(errors)
    k = math.ceil((n + 1) * level)
    if n == 0 or k > n:
        return None
    return sorted(errors)[k - 1]


def event_actuals(events_path):
    actuals = {}
    for line in open(events_path):
        event = json.loads(line)
        actuals.setdefault(event[KEY_FIELD], {})[parse(event["time"])] = {t: event[t] for t in TARGETS}
    return actuals


def bucket_actuals(fixture_path):
    actuals = {}
    for key, rows in json.load(open(fixture_path))["keys"].items():
        for bucket in rows["buckets"]:
            actuals.setdefault(key, {})[parse(bucket["start"])] = bucket["values"]
    return actuals


def expected(actuals, forecasts_path, out, window, levels):
    errors = {}    # (key, target, step) -> kept errors, oldest first
    waiting = {}   # key -> [(made_at, persistence, values per step)]
    latest = {}    # key -> time of its latest event stepped in order
    rows = []
    for line in open(forecasts_path):
        forecast = json.loads(line)
        key, made_at = forecast["key"], parse(forecast["event_time"])
        targets = list(forecast["forecast"][0]["values"])
        values = [{t: p["values"][t] for t in targets} for p in forecast["forecast"]]
        target_times = [parse(p["target_time"]) for p in forecast["forecast"]]
        if made_at > latest.get(key, -1):
            latest[key] = made_at
            actual = actuals[key][made_at]
            still = []
            for (w_times, w_values) in waiting.get(key, []):
                for step, step_values in enumerate(w_values, start=1):
                    if w_times[step - 1] != made_at:
                        continue
                    for t in targets:
                        kept = errors.setdefault((key, t, step), [])
                        kept.append(f32(abs(step_values[t] - actual[t])))
                        del kept[:-window]
                if w_times[-1] > made_at:
                    still.append((w_times, w_values))
            waiting[key] = still + [(target_times, values)]
        bounds = []
        for step, step_values in enumerate(values, start=1):
            per_level = []
            for level in levels:
                lower, upper = {}, {}
                for t in targets:
                    q = half_width(errors.get((key, t, step), []), level)
                    lower[t] = None if q is None else step_values[t] - q
                    upper[t] = None if q is None else step_values[t] + q
                per_level.append({"level": level, "lower": lower, "upper": upper})
            bounds.append(per_level)
        rows.append({"key": key, "event_time": forecast["event_time"], "revision": forecast.get("revision", 0),
                     "values": values, "intervals": bounds})
    with open(out, "w") as f:
        json.dump({"window": window, "levels": levels, "forecasts": rows}, f, separators=(",", ":"))


if __name__ == "__main__":
    if sys.argv[1] == "events":
        make_events(sys.argv[2])
    else:
        actuals = event_actuals(sys.argv[2]) if sys.argv[1] == "expected" else bucket_actuals(sys.argv[2])
        expected(actuals, sys.argv[3], sys.argv[4], int(sys.argv[5]), [float(a) for a in sys.argv[6:]])
