#!/usr/bin/python3
"""Trains and exports a small quantile-head LSTM, and records PyTorch's quantiles as the reference.

The model reads the demo's weather (src/main/resources/demo/weather.csv) and forecasts, per day, the
0.1, 0.5 and 0.9 quantiles of the next day's temp_max and temp_min: one LSTM layer and a linear head of
2 targets x 3 quantiles, trained with the pinball (quantile) loss on 2012-2014. Its card declares
"quantiles": [0.1, 0.5, 0.9] on each target and a 3-step rollout that feeds the medians back.

The output layout is the one docs/model-bundle.md states for quantile cards: per step, for each target in
card order, one value per quantile in ascending order (here y[..., 0:3] are temp_max's 0.1/0.5/0.9,
y[..., 3:6] temp_min's).

Run from the repository root with Debian's python3 (python3-torch, python3-onnx):

    /usr/bin/python3 tools/export_quantile_model.py [DIR]

It writes into DIR (default src/test/resources/fixtures/quantile_lstm) model.onnx, model.json and
expected.json: for three keys, their raw events and, per event, PyTorch's normalised outputs for all
rollout steps (steps x targets x quantiles, in the layout above), the rollout fed back the medians as
the card's rollout block says (de-normalised with the target's statistics, normalised with the
feature's). Seeds are fixed; re-running reproduces the bundle.
"""
import csv
import json
import math
import os
import sys
from datetime import date, timedelta

import numpy as np
import torch
from torch import nn

SEED = 20261205
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(REPO, "src", "main", "resources", "demo", "weather.csv")
DEFAULT_OUT = os.path.join(REPO, "src", "test", "resources", "fixtures", "quantile_lstm")
CITIES = ["Seattle", "New York"]
FIELDS = ["temp_max", "temp_min", "precipitation", "wind"]
CALENDAR = ["day_of_year_sin", "day_of_year_cos"]
TARGETS = ["temp_max", "temp_min"]
QUANTILES = [0.1, 0.5, 0.9]
HIDDEN = 16
STEPS = 3
EPOCHS = 40
CHUNK = 60
TRAIN_END = 2014
# The fixture's keys: two cities' first days of 2015, and Seattle's summer as a third series.
KEYS = {"Seattle": ("Seattle", date(2015, 1, 1)), "New York": ("New York", date(2015, 1, 1)),
        "Seattle-summer": ("Seattle", date(2015, 7, 1))}
EVENTS_PER_KEY = 30


def load_weather():
    with open(DATA, newline="") as f:
        rows = list(csv.DictReader(f))
    by_city = {}
    for city in CITIES:
        city_rows = [r for r in rows if r["location"] == city]
        by_city[city] = [(date.fromisoformat(r["date"]), {k: float(r[k]) for k in FIELDS}) for r in city_rows]
    return by_city


def calendar_value(name, day):
    """day_of_year sin/cos exactly as carrycast derives them from the event time (UTC midnight)."""
    angle = 2 * math.pi * (day.timetuple().tm_yday - 1) / 365.25
    return math.sin(angle) if name.endswith("_sin") else math.cos(angle)


def build_card(by_city):
    train = [fields for city in CITIES for day, fields in by_city[city] if day.year <= TRAIN_END]
    stats = {k: (float(np.mean([r[k] for r in train])), float(np.std([r[k] for r in train]))) for k in FIELDS}
    # Targets are z-scored with statistics rounded differently from the features', so that the rollout's
    # de- and re-normalisation of the fed-back median is exercised.
    features = [{"field": k, "mean": round(stats[k][0], 3), "std": round(stats[k][1], 3)} for k in FIELDS]
    features += [{"calendar": c, "mean": 0.0, "std": 0.7071} for c in CALENDAR]
    targets = [{"field": t, "mean": round(stats[t][0], 1), "std": round(stats[t][1], 1), "quantiles": QUANTILES}
               for t in TARGETS]
    return {
        "name": "fixture-quantile_lstm", "version": "1", "mode": "stateful", "window": 0, "cadence": "P1D",
        "features": features, "targets": targets, "horizon": 1,
        "network": {"cell": "lstm", "layers": 1, "hidden": HIDDEN, "bidirectional": False},
        "tensors": {"input": "x", "output": "y", "layout": "time_major",
                    "state": [{"input": "h0", "output": "hn"}, {"input": "c0", "output": "cn"}]},
        "rollout": {"steps": STEPS, "inputs": {"temp_max": {"from_target": "temp_max"},
                                               "temp_min": {"from_target": "temp_min"},
                                               "precipitation": "hold", "wind": "hold"}},
    }


class QuantileLSTM(nn.Module):
    """An LSTM whose state is an explicit input and output, with a head of targets x quantiles."""

    def __init__(self, n_in):
        super().__init__()
        self.rnn = nn.LSTM(n_in, HIDDEN, 1)
        self.head = nn.Linear(HIDDEN, len(TARGETS) * len(QUANTILES))

    def forward(self, x, h0, c0):
        y, (hn, cn) = self.rnn(x, (h0, c0))
        return self.head(y), hn, cn


def zero_state(batch):
    return torch.zeros(1, batch, HIDDEN), torch.zeros(1, batch, HIDDEN)


def normalised_row(card, day, fields):
    row = []
    for feature in card["features"]:
        raw = fields[feature["field"]] if "field" in feature else calendar_value(feature["calendar"], day)
        row.append((raw - feature["mean"]) / feature["std"])
    return np.array(row, dtype=np.float32)


def pinball(pred, target):
    """Mean pinball loss; pred [..., targets * quantiles], target [..., targets]."""
    q = torch.tensor(QUANTILES).repeat(len(TARGETS))
    diff = target.repeat_interleave(len(QUANTILES), dim=-1) - pred
    return torch.maximum(q * diff, (q - 1) * diff).mean()


def train(card, by_city):
    torch.manual_seed(SEED)
    xs, ys = [], []
    for city in CITIES:
        days = [(d, f) for d, f in by_city[city] if d.year <= TRAIN_END]
        xs.append(np.stack([normalised_row(card, d, f) for d, f in days]))
        ys.append(np.array([[(f[t["field"]] - t["mean"]) / t["std"] for t in card["targets"]]
                            for _, f in days[1:]], dtype=np.float32))
    x = torch.from_numpy(np.stack(xs, axis=1))[:-1]   # [T, cities, F]: each day's inputs...
    y = torch.from_numpy(np.stack(ys, axis=1))        # ...and the next day's targets
    model = QuantileLSTM(x.shape[2])
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(EPOCHS):
        h, c = zero_state(len(CITIES))
        for start in range(0, x.shape[0], CHUNK):
            pred, h, c = model(x[start:start + CHUNK], h.detach(), c.detach())
            loss = pinball(pred, y[start:start + CHUNK])
            opt.zero_grad()
            loss.backward()
            opt.step()
    print(f"trained: last chunk pinball loss {loss.item():.4f}")
    return model.eval()


def rollout_input(card, held, day, step, medians):
    """The model input for forecast step `step` (2..STEPS), as the card's rollout block says."""
    row = []
    for feature in card["features"]:
        if "calendar" in feature:
            raw = calendar_value(feature["calendar"], day + timedelta(days=step))
            row.append((raw - feature["mean"]) / feature["std"])
            continue
        declared = card["rollout"]["inputs"][feature["field"]]
        if declared == "hold":
            row.append(held[card["features"].index(feature)])
            continue
        target_index = TARGETS.index(declared["from_target"])
        target = card["targets"][target_index]
        raw = medians[step - 1][target_index] * target["std"] + target["mean"]
        row.append((raw - feature["mean"]) / feature["std"])
    return np.array(row, dtype=np.float32)


@torch.no_grad()
def reference(model, card, by_city):
    """Per key, its events and per event PyTorch's rolled-out quantiles, one model step at a time."""
    median = QUANTILES.index(0.5)
    keys = {}
    for key, (city, first) in KEYS.items():
        days = [(d, f) for d, f in by_city[city] if first <= d < first + timedelta(days=EVENTS_PER_KEY)]
        h, c = zero_state(1)
        events, outputs = [], []
        for day, fields in days:
            row = normalised_row(card, day, fields)
            y, h, c = model(torch.from_numpy(row).view(1, 1, -1), h, c)
            steps = [[float(v) for v in y[0, 0]]]
            rh, rc = h, c
            for step in range(2, STEPS + 1):
                medians = [[s[t * len(QUANTILES) + median] for t in range(len(TARGETS))] for s in steps]
                built = rollout_input(card, row, day, step - 1, medians)
                ry, rh, rc = model(torch.from_numpy(built).view(1, 1, -1), rh, rc)
                steps.append([float(v) for v in ry[0, 0]])
            events.append({"time": day.isoformat() + "T00:00:00Z", "fields": fields})
            outputs.append([v for s in steps for v in s])
        keys[key] = {"events": events, "outputs": outputs}
    return {"tolerance": 1e-5, "quantiles": QUANTILES, "keys": keys}


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    by_city = load_weather()
    card = build_card(by_city)
    model = train(card, by_city)
    os.makedirs(out_dir, exist_ok=True)
    example = (torch.zeros(2, 1, len(card["features"])),) + zero_state(1)
    dynamic_axes = {"x": {0: "seq", 1: "batch"}, "y": {0: "seq", 1: "batch"},
                    **{name: {1: "batch"} for name in ["h0", "c0", "hn", "cn"]}}
    torch.onnx.export(model, example, os.path.join(out_dir, "model.onnx"), input_names=["x", "h0", "c0"],
                      output_names=["y", "hn", "cn"], dynamic_axes=dynamic_axes, opset_version=14)
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump(reference(model, card, by_city), f, indent=1)
        f.write("\n")
    print(f"exported {out_dir}")


if __name__ == "__main__":
    main()
