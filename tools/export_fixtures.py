#!/usr/bin/python3
"""Exports the recurrent test fixtures with torch.onnx.export and records PyTorch's own outputs.

Each fixture is a carrycast model bundle (model.onnx + model.json) plus expected.json: a few
keys' raw events and, for every event, what PyTorch computes for it in normalised units. The Java
tests replay the events through the topology and compare against those outputs, so the tests
need no Python. Run with Debian's python3 (python3-torch, python3-onnx):

    /usr/bin/python3 tools/export_fixtures.py src/test/resources/fixtures src/test/resources/bench

The bench/ models (8 inputs, 64 hidden units) serve the benchmarks only.
"""
import json
import math
import os
import sys
from datetime import datetime, timedelta, timezone

import numpy as np
import torch
from torch import nn

SEED = 20261126
EVENTS_PER_KEY = 24
KEYS = ["sensor-a", "sensor-b", "sensor-c"]


class RecurrentForecaster(nn.Module):
    """An RNN whose state is an explicit input and output, followed by a linear head."""

    def __init__(self, cell, n_in, hidden, layers, n_out, batch_first, bidirectional=False,
                 head_on_final_state=False):
        super().__init__()
        self.cell = cell
        self.batch_first = batch_first
        self.head_on_final_state = head_on_final_state
        rnn_class = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]
        self.rnn = rnn_class(n_in, hidden, layers, batch_first=batch_first, bidirectional=bidirectional)
        dirs = 2 if bidirectional else 1
        self.head = nn.Linear(hidden * dirs, n_out)

    def forward(self, x, *state):
        if self.cell == "lstm":
            y, (hn, cn) = self.rnn(x, (state[0], state[1])) if state else self.rnn(x)
            new_state = (hn, cn)
        else:
            y, hn = self.rnn(x, state[0]) if state else self.rnn(x)
            new_state = (hn,)
        if self.head_on_final_state:
            # Final forward state concatenated with the final reverse state: one forecast per window.
            return self.head(torch.cat([hn[-2], hn[-1]], dim=1))
        return (self.head(y),) + new_state


FIXTURES = [
    # name, cell, features, targets, horizon, hidden, layers, layout, mode, window, bidirectional, cadence
    dict(name="rnn", cell="rnn", features=["level", "flow", "pressure"], calendar=[], targets=["level"],
         horizon=1, hidden=16, layers=1, layout="batch_major", mode="stateful", window=0, cadence="PT1M"),
    dict(name="lstm", cell="lstm", features=["level", "flow", "pressure"], calendar=[], targets=["level"],
         horizon=1, hidden=16, layers=1, layout="time_major", mode="stateful", window=0, cadence="PT1M"),
    dict(name="gru", cell="gru", features=["level", "flow", "pressure"], calendar=[], targets=["level"],
         horizon=1, hidden=16, layers=1, layout="time_major", mode="stateful", window=0, cadence="PT1M"),
    dict(name="lstm_stacked", cell="lstm", features=["level", "flow", "pressure"], calendar=[], targets=["level"],
         horizon=1, hidden=16, layers=2, layout="time_major", mode="stateful", window=0, cadence="PT1M"),
    dict(name="lstm_multi", cell="lstm", features=["load", "temperature", "humidity"],
         calendar=["hour_of_day_sin", "hour_of_day_cos", "day_of_week_sin", "day_of_week_cos",
                   "day_of_year_sin", "day_of_year_cos"],
         targets=["load", "temperature"], horizon=3, hidden=24, layers=1, layout="batch_major",
         mode="stateful", window=16, cadence="PT1H"),
    dict(name="bilstm_window", cell="lstm", features=["level", "flow", "pressure"], calendar=[],
         targets=["level"], horizon=2, hidden=12, layers=1, layout="time_major", mode="window", window=8,
         cadence="PT15M", bidirectional=True),
]

# Benchmark models: 8 inputs, 64 hidden units, the size the throughput targets are stated for.
BENCH_FEATURES = ["f%d" % i for i in range(8)]
BENCHMARKS = [
    dict(name="lstm64", cell="lstm", features=BENCH_FEATURES, calendar=[], targets=["f0"], horizon=1, hidden=64,
         layers=1, layout="time_major", mode="stateful", window=0, cadence="PT1S"),
    dict(name="gru64", cell="gru", features=BENCH_FEATURES, calendar=[], targets=["f0"], horizon=1, hidden=64,
         layers=1, layout="time_major", mode="stateful", window=0, cadence="PT1S"),
    dict(name="rnn64", cell="rnn", features=BENCH_FEATURES, calendar=[], targets=["f0"], horizon=1, hidden=64,
         layers=1, layout="time_major", mode="stateful", window=0, cadence="PT1S"),
]

FIELD_STATS = {  # raw-unit mean/std used to draw events and to z-score them in the card
    "level": (12.0, 3.0), "flow": (250.0, 40.0), "pressure": (1013.0, 8.0),
    **{f: (0.0, 1.0) for f in BENCH_FEATURES},
    "load": (420.0, 95.0), "temperature": (18.0, 6.5), "humidity": (62.0, 14.0),
}


def calendar_value(name, t):
    """Derived calendar features, defined exactly as carrycast computes them (UTC)."""
    if name.startswith("hour_of_day"):
        angle = 2 * math.pi * (t.hour + t.minute / 60 + t.second / 3600) / 24
    elif name.startswith("day_of_week"):
        angle = 2 * math.pi * (t.isoweekday() - 1) / 7
    else:
        angle = 2 * math.pi * (t.timetuple().tm_yday - 1) / 365.25
    return math.sin(angle) if name.endswith("_sin") else math.cos(angle)


def parse_cadence(cadence):
    unit = cadence[-1]
    amount = int(cadence[2:-1])
    return timedelta(minutes=amount) if unit == "M" else timedelta(hours=amount)


def make_events(spec, rng, key_index):
    start = datetime(2024, 3, 30, 21, 0, tzinfo=timezone.utc) + timedelta(minutes=7 * key_index)
    step = parse_cadence(spec["cadence"])
    events = []
    for i in range(EVENTS_PER_KEY):
        t = start + i * step
        fields = {f: round(float(rng.normal(*FIELD_STATS[f])), 3) for f in spec["features"]}
        events.append({"time": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "fields": fields})
    return events


def normalised_features(spec, card, event):
    t = datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    row = []
    for feature in card["features"]:
        raw = event["fields"][feature["field"]] if "field" in feature else calendar_value(feature["calendar"], t)
        row.append((raw - feature["mean"]) / feature["std"])
    return np.array(row, dtype=np.float32)


def build_card(spec):
    features = [{"field": f, "mean": FIELD_STATS[f][0], "std": FIELD_STATS[f][1]} for f in spec["features"]]
    features += [{"calendar": c, "mean": 0.0, "std": 0.7071} for c in spec["calendar"]]
    bidirectional = spec.get("bidirectional", False)
    card = {
        "name": "fixture-" + spec["name"],
        "version": "1",
        "mode": spec["mode"],
        "window": spec["window"],
        "cadence": spec["cadence"],
        "features": features,
        "targets": [{"field": t, "mean": FIELD_STATS[t][0], "std": FIELD_STATS[t][1]} for t in spec["targets"]],
        "horizon": spec["horizon"],
        "network": {"cell": spec["cell"], "layers": spec["layers"], "hidden": spec["hidden"],
                    "bidirectional": bidirectional},
        "tensors": {"input": "x", "output": "y", "layout": spec["layout"], "state": []},
    }
    if spec["mode"] == "stateful":
        card["tensors"]["state"] = [{"input": "h0", "output": "hn"}]
        if spec["cell"] == "lstm":
            card["tensors"]["state"].append({"input": "c0", "output": "cn"})
    return card


def zero_state(model, spec, batch):
    dirs = 2 if spec.get("bidirectional", False) else 1
    shape = (spec["layers"] * dirs, batch, spec["hidden"])
    n = 2 if spec["cell"] == "lstm" else 1
    return tuple(torch.zeros(shape) for _ in range(n))


def as_sequence(rows, batch_first):
    x = torch.from_numpy(np.stack(rows))  # [T, F]
    return x.unsqueeze(0) if batch_first else x.unsqueeze(1)


def export(spec, out_dir):
    torch.manual_seed(SEED + len(spec["name"]))
    rng = np.random.default_rng(SEED + sum(map(ord, spec["name"])))
    card = build_card(spec)
    n_in = len(card["features"])
    n_out = spec["horizon"] * len(spec["targets"])
    batch_first = spec["layout"] == "batch_major"
    window_mode = spec["mode"] == "window"
    model = RecurrentForecaster(spec["cell"], n_in, spec["hidden"], spec["layers"], n_out, batch_first,
                                spec.get("bidirectional", False), head_on_final_state=window_mode).eval()

    os.makedirs(out_dir, exist_ok=True)
    seq_axis, batch_axis = (1, 0) if batch_first else (0, 1)
    example_x = torch.zeros((1, 2, n_in) if batch_first else (2, 1, n_in))
    state_names = [p["input"] for p in card["tensors"]["state"]]
    state_out_names = [p["output"] for p in card["tensors"]["state"]]
    example_state = zero_state(model, spec, 1) if state_names else ()
    dynamic_axes = {"x": {seq_axis: "seq", batch_axis: "batch"},
                    "y": ({0: "batch"} if window_mode else {seq_axis: "seq", batch_axis: "batch"})}
    for name in state_names + state_out_names:
        dynamic_axes[name] = {1: "batch"}
    torch.onnx.export(model, (example_x,) + example_state, os.path.join(out_dir, "model.onnx"),
                      input_names=["x"] + state_names, output_names=["y"] + state_out_names,
                      dynamic_axes=dynamic_axes, opset_version=14)
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")

    expected = {"tolerance": 1e-5, "keys": {}}
    with torch.no_grad():
        for key_index, key in enumerate(KEYS):
            events = make_events(spec, rng, key_index)
            rows = [normalised_features(spec, card, e) for e in events]
            if window_mode:
                w = spec["window"]
                outputs = [None] * (w - 1)
                for end in range(w, len(rows) + 1):
                    y = model(as_sequence(rows[end - w:end], batch_first))
                    outputs.append([float(v) for v in y[0]])
            else:
                y = model(as_sequence(rows, batch_first), *zero_state(model, spec, 1))[0]
                y = y[0] if batch_first else y[:, 0]
                outputs = [[float(v) for v in step] for step in y]
            expected["keys"][key] = {"events": events, "outputs": outputs}
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print(f"exported {spec['name']}: {n_in} features -> {n_out} outputs, {spec['cell']} x{spec['layers']}")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/fixtures"
    bench_root = sys.argv[2] if len(sys.argv) > 2 else "src/test/resources/bench"
    for spec in FIXTURES:
        export(spec, os.path.join(root, spec["name"]))
    for spec in BENCHMARKS:
        export(spec, os.path.join(bench_root, spec["name"]))
        os.remove(os.path.join(bench_root, spec["name"], "expected.json"))


if __name__ == "__main__":
    main()
