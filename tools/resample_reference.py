#!/usr/bin/python3
"""The reference for carrycast's resampling: a plain Python loop over a PyTorch model, written from the definition.

Resampling (docs/model-bundle.md, "Resampling irregular events"): a card's "resample" block says how each event field's
values in one cadence bucket are combined (mean, sum, min, max, first, last, count). Buckets are aligned to
the cadence in the card's time zone; a bucket's model input is its aggregates, normalised as the card says,
with calendar features computed for the bucket's start; the forecast of a bucket is stamped with its start.
Between two buckets with events, up to max_fill empty buckets are stepped first ("carry": the previous
bucket's aggregates; "zeros": every field 0 in raw units; "skip": none), without forecasts of their own;
after a longer silence none are.

This script groups each key's events by bucket with a dictionary and steps the model once per bucket, the
plainest reading of that definition (carrycast aggregates as events arrive and steps many keys per call).
The model is the PyTorch module the fixture's model.onnx is exported from. Run with Debian's python3
(python3-torch, python3-onnx):

    /usr/bin/python3 tools/resample_reference.py [DIR]   # default src/test/resources/fixtures/resample_*

Each fixture: model.onnx, model.json (with its resample block) and expected.json: per key its raw events
(irregular: 0 to 5 per hour, some hours empty, one silence longer than max_fill) and, per bucket with
events, its start, event count, empty buckets filled before it, its aggregates (raw units; the actuals a
bucket's forecasts are scored against) and PyTorch's normalised outputs.
"""
import json
import os
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_fixtures as fx  # noqa: E402  (the model class, calendar definitions, state and sequence helpers)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = 20261130
KEYS = ["meter-a", "meter-b", "meter-c"]
HOURS = 18
# A zone whose hours start at :30 UTC, so that buckets aligned in UTC would differ from the card's.
ZONE = "Asia/Kolkata"
FIRST_HOUR = datetime(2024, 3, 30, 20, 0, tzinfo=ZoneInfo(ZONE))
# raw-unit mean/std per event field: drawn from, and z-scored with in the card
STATS = {"temp": (18.0, 6.5), "sales": (40.0, 25.0), "peak": (15.0, 5.0), "reading": (100.0, 20.0),
         "visits": (2.5, 1.5)}
AGGREGATES = {"sales": "sum", "peak": "max", "reading": "last", "visits": "count"}  # temp: the default, mean
CALENDAR = ["hour_of_day_sin", "hour_of_day_cos"]
COMMON = dict(cell="lstm", hidden=16, layers=1, horizon=2, targets=["temp", "sales"])
FIXTURES = [
    dict(COMMON, name="resample_carry", empty="carry", max_fill=3),
    dict(COMMON, name="resample_zeros", empty="zeros", max_fill=3),
    dict(COMMON, name="resample_skip", empty="skip", max_fill=0),
]


def build_card(spec):
    fields = list(STATS)
    features = [{"field": f, "mean": STATS[f][0], "std": STATS[f][1]} for f in fields]
    features += [{"calendar": c, "mean": 0.0, "std": 0.7071} for c in CALENDAR]
    return {
        "name": "fixture-" + spec["name"], "version": "1", "mode": "stateful", "window": 0, "cadence": "PT1H",
        "timezone": ZONE, "features": features,
        "targets": [{"field": t, "mean": STATS[t][0], "std": STATS[t][1]} for t in spec["targets"]],
        "horizon": spec["horizon"],
        "network": {"cell": spec["cell"], "layers": spec["layers"], "hidden": spec["hidden"], "bidirectional": False},
        "tensors": {"input": "x", "output": "y", "layout": "time_major",
                    "state": [{"input": "h0", "output": "hn"}, {"input": "c0", "output": "cn"}]},
        "resample": {"default": "mean", "fields": AGGREGATES, "empty": spec["empty"], "max_fill": spec["max_fill"]},
    }


def make_events(rng, key_index):
    """0-5 events at distinct random seconds of each local hour; hours 4 and 9-13 of meter-b are empty."""
    events = []
    for hour in range(HOURS):
        count = int(rng.integers(0, 6))
        if key_index == 1 and (hour == 4 or 9 <= hour <= 13):
            count = 0  # one empty hour (filled) and a silence of five (longer than max_fill)
        if key_index == 0 and hour in (2, 3):
            count = 0  # two empty hours in a row
        start = FIRST_HOUR + timedelta(hours=hour)
        for second in sorted(rng.choice(3600, size=count, replace=False)):
            t = (start + timedelta(seconds=int(second))).astimezone(timezone.utc)
            fields = {f: round(float(rng.normal(*STATS[f])), 3) for f in STATS}
            events.append({"time": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "fields": fields})
    return events


def parse_time(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def bucket_start(t):
    local = t.astimezone(ZoneInfo(ZONE))
    return local.replace(minute=0, second=0, microsecond=0)


def aggregate(events):
    """The bucket's raw value per field, from its events in time order, per the card's aggregates."""
    values = {}
    for field in STATS:
        xs = [e["fields"][field] for e in events]
        how = AGGREGATES.get(field, "mean")
        values[field] = {"mean": lambda: sum(xs) / len(xs), "sum": lambda: sum(xs), "min": lambda: min(xs),
                         "max": lambda: max(xs), "first": lambda: xs[0], "last": lambda: xs[-1],
                         "count": lambda: float(len(xs))}[how]()
    return values


def model_input(card, values, start):
    row = []
    for feature in card["features"]:
        raw = values[feature["field"]] if "field" in feature else fx.calendar_value(feature["calendar"], start)
        row.append((raw - feature["mean"]) / feature["std"])
    return np.array(row, dtype=np.float32)


@torch.no_grad()
def reference(model, card, events):
    resample = card["resample"]
    buckets = {}
    for event in events:
        buckets.setdefault(bucket_start(parse_time(event["time"])), []).append(event)
    state = fx.zero_state(model, dict(COMMON), 1)
    previous = None  # (start, values) of the last stepped bucket
    out = []
    for start in sorted(buckets):
        values = aggregate(buckets[start])
        filled = []
        if previous is not None and resample["empty"] != "skip":
            gap = [previous[0] + timedelta(hours=h) for h in range(1, int((start - previous[0]).total_seconds()) // 3600)]
            if len(gap) <= resample["max_fill"]:
                filled = gap
        for empty in filled:
            fill = previous[1] if resample["empty"] == "carry" else {f: 0.0 for f in STATS}
            _, *state = model(fx.as_sequence([model_input(card, fill, empty)], False), *state)
        y, *state = model(fx.as_sequence([model_input(card, values, start)], False), *state)
        out.append({"start": start.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "events": len(buckets[start]), "filled_before": len(filled),
                    "values": values,
                    "outputs": [float(v) for v in y.reshape(-1, y.shape[-1])[-1]]})
        previous = (start, values)
    return out


def export_fixture(spec, out_dir):
    torch.manual_seed(SEED + len(spec["name"]))
    rng = np.random.default_rng(SEED)  # the same events in every fixture
    card = build_card(spec)
    n_in = len(card["features"])
    model = fx.RecurrentForecaster("lstm", n_in, spec["hidden"], spec["layers"],
                                   spec["horizon"] * len(spec["targets"]), False).eval()
    os.makedirs(out_dir, exist_ok=True)
    dynamic_axes = {"x": {0: "seq", 1: "batch"}, "y": {0: "seq", 1: "batch"}}
    for name in ["h0", "c0", "hn", "cn"]:
        dynamic_axes[name] = {1: "batch"}
    torch.onnx.export(model, (torch.zeros((2, 1, n_in)),) + fx.zero_state(model, dict(COMMON), 1),
                      os.path.join(out_dir, "model.onnx"), input_names=["x", "h0", "c0"],
                      output_names=["y", "hn", "cn"], dynamic_axes=dynamic_axes, opset_version=14)
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    expected = {"tolerance": 1e-5, "keys": {}}
    for key_index, key in enumerate(KEYS):
        events = make_events(rng, key_index)
        expected["keys"][key] = {"events": events, "buckets": reference(model, card, events)}
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    filled = sum(b["filled_before"] for k in expected["keys"].values() for b in k["buckets"])
    print(f"exported {spec['name']}: empty={spec['empty']}, "
          f"{sum(len(k['buckets']) for k in expected['keys'].values())} buckets, {filled} filled")


def main():
    torch.set_num_threads(1)
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "src", "test", "resources", "fixtures")
    for spec in FIXTURES:
        export_fixture(spec, os.path.join(root, spec["name"]))


if __name__ == "__main__":
    main()
