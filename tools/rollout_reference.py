#!/usr/bin/python3
"""The reference for carrycast's rollout: a plain Python loop over PyTorch models, written from the definition.

Rollout (docs/model-bundle.md, "Rollout: forecasting past the horizon"): after a key's real step, whose output is
forecast steps 1..H, the model is stepped on a copy of the key's state with one built input per future
step s: a feature declared {"from_target": T} gets the forecast of target T for step s (de-normalised with
the target's statistics, normalised with the feature's), a "calendar" feature is computed for the time
event time + s * cadence, a "hold" feature keeps the event's value. Inputs for steps 1..H are fed one at a
time; the output after the H-th is forecast steps H+1..2H; and so on. A window-mode model appends the
built inputs to a copy of its window and runs over the last W rows.

This script feeds one step at a time per key, the plainest reading of that definition (carrycast feeds a
block of H steps to all keys of a batch in one call). Run with Debian's python3 (python3-torch, python3-onnx):

    /usr/bin/python3 tools/rollout_reference.py fixtures   # src/test/resources/fixtures/rollout_*
    /usr/bin/python3 tools/rollout_reference.py weather    # config/models/weather-lstm/reference-rollout-2015.json

fixtures: small models exported with torch.onnx.export, their cards with a rollout block, and
expected.json: per key its raw events and, per event, the rolled-out forecasts PyTorch computes
(steps x targets normalised values, step by step; null where a window model has no full window yet).

weather: the bundled weather model rolled out 7 days with the block the demo adds (temp_max fed back,
the other fields held, the calendar advanced), scored per step on 2015 against persistence. The graph's
weights are loaded into the PyTorch module of tools/train_weather_model.py, which is first checked against
reference-2015.json's forecasts.
"""
import json
import os
import sys
from datetime import datetime, timedelta, timezone

import numpy as np
import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_fixtures as fx  # noqa: E402  (the fixture models, events and calendar definitions)
import train_weather_model as weather  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = 20261201
EVENTS_PER_KEY = 10
WEATHER_STEPS = 7

# Target statistics that differ from the fed-back feature's, so that de- and re-normalisation is exercised.
TARGET_STATS = {"level": (12.5, 2.5), "flow": (245.0, 42.0)}

COMMON = dict(features=["level", "flow", "pressure"], calendar=["hour_of_day_sin", "hour_of_day_cos"],
              targets=["level"], horizon=1, hidden=16, layers=1, layout="time_major", mode="stateful", window=0,
              cadence="PT1H", steps=6, inputs={"level": {"from_target": "level"}, "flow": "hold", "pressure": "hold"})
FIXTURES = [
    dict(COMMON, name="rollout_lstm", cell="lstm"),
    dict(COMMON, name="rollout_gru", cell="gru"),
    dict(COMMON, name="rollout_lstm_stacked", cell="lstm", layers=2),
    dict(COMMON, name="rollout_rnn", cell="rnn", layout="batch_major"),
    # Horizon 2, two targets both fed back, calendar features listed explicitly: three blocks of two.
    dict(COMMON, name="rollout_multi", cell="lstm", targets=["level", "flow"], horizon=2, layout="batch_major",
         calendar=["hour_of_day_sin", "day_of_week_cos"],
         inputs={"level": {"from_target": "level"}, "flow": {"from_target": "flow"}, "pressure": "hold",
                 "hour_of_day_sin": "calendar", "day_of_week_cos": "calendar"}),
    # Window mode: a bidirectional LSTM over the last 5 events, horizon 2.
    dict(COMMON, name="rollout_window", cell="lstm", mode="window", window=5, horizon=2, hidden=12,
         bidirectional=True),
]


def feature_name(feature):
    return feature["field"] if "field" in feature else feature["calendar"]


def build_input(card, held_row, event_time, step, forecasts):
    """The model input for forecast step `step` (1-based) from the forecasts so far (normalised, step-major)."""
    rollout = card["rollout"]
    targets = [t["field"] for t in card["targets"]]
    time = event_time + step * parse_cadence(card["cadence"])
    row = []
    for i, feature in enumerate(card["features"]):
        how = rollout["inputs"].get(feature_name(feature), "calendar")
        if how == "hold":
            row.append(float(held_row[i]))
        elif how == "calendar":
            row.append((fx.calendar_value(feature["calendar"], time) - feature["mean"]) / feature["std"])
        else:
            t = targets.index(how["from_target"])
            target = card["targets"][t]
            raw = forecasts[(step - 1) * len(targets) + t] * target["std"] + target["mean"]
            row.append((raw - feature["mean"]) / feature["std"])
    return np.array(row, dtype=np.float32)


def parse_cadence(cadence):
    return timedelta(days=int(cadence[1:-1])) if cadence.endswith("D") and not cadence.startswith("PT") \
        else fx.parse_cadence(cadence)


def outputs_of(y):
    """The forecast of the last step of a [T, 1, n] / [1, T, n] / [1, n] output as a list of floats."""
    return [float(v) for v in y.reshape(-1, y.shape[-1])[-1]]


@torch.no_grad()
def roll_stateful(model, card, batch_first, held_row, event_time, first, state):
    """Steps after the real one, one model call per step, from the state after the real step."""
    horizon, steps = card["horizon"], card["rollout"]["steps"]
    forecasts = list(first)
    for done in range(horizon, steps, horizon):
        for j in range(horizon):
            x = build_input(card, held_row, event_time, done - horizon + 1 + j, forecasts)
            y, *state = model(fx.as_sequence([x], batch_first), *state)
        forecasts += outputs_of(y)
    return forecasts


@torch.no_grad()
def roll_window(model, card, batch_first, rows, event_time, first):
    horizon, steps, width = card["horizon"], card["rollout"]["steps"], card["window"]
    rows = list(rows)
    held_row = rows[-1]
    forecasts = list(first)
    for done in range(horizon, steps, horizon):
        for j in range(horizon):
            rows.append(build_input(card, held_row, event_time, done - horizon + 1 + j, forecasts))
        forecasts += outputs_of(model(fx.as_sequence(rows[-width:], batch_first)))
    return forecasts


def make_events(spec, rng, key_index):
    start = datetime(2024, 3, 30, 21, 0, tzinfo=timezone.utc) + timedelta(minutes=7 * key_index)
    step = fx.parse_cadence(spec["cadence"])
    return [{"time": (start + i * step).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "fields": {f: round(float(rng.normal(*fx.FIELD_STATS[f])), 3) for f in spec["features"]}}
            for i in range(EVENTS_PER_KEY)]


def export_fixture(spec, out_dir):
    torch.manual_seed(SEED + len(spec["name"]))
    rng = np.random.default_rng(SEED + sum(map(ord, spec["name"])))
    card = fx.build_card(spec)
    card["name"] = "fixture-" + spec["name"]
    card["targets"] = [{"field": t, "mean": TARGET_STATS[t][0], "std": TARGET_STATS[t][1]} for t in spec["targets"]]
    card["rollout"] = {"steps": spec["steps"], "inputs": spec["inputs"]}
    n_in = len(card["features"])
    window_mode = spec["mode"] == "window"
    batch_first = spec["layout"] == "batch_major"
    model = fx.RecurrentForecaster(spec["cell"], n_in, spec["hidden"], spec["layers"],
                                   spec["horizon"] * len(spec["targets"]), batch_first,
                                   spec.get("bidirectional", False), head_on_final_state=window_mode).eval()
    os.makedirs(out_dir, exist_ok=True)
    seq_axis, batch_axis = (1, 0) if batch_first else (0, 1)
    state_names = [p["input"] for p in card["tensors"]["state"]]
    state_out_names = [p["output"] for p in card["tensors"]["state"]]
    dynamic_axes = {"x": {seq_axis: "seq", batch_axis: "batch"},
                    "y": ({0: "batch"} if window_mode else {seq_axis: "seq", batch_axis: "batch"})}
    for name in state_names + state_out_names:
        dynamic_axes[name] = {1: "batch"}
    example_x = torch.zeros((1, 2, n_in) if batch_first else (2, 1, n_in))
    example_state = fx.zero_state(model, spec, 1) if state_names else ()
    torch.onnx.export(model, (example_x,) + example_state, os.path.join(out_dir, "model.onnx"),
                      input_names=["x"] + state_names, output_names=["y"] + state_out_names,
                      dynamic_axes=dynamic_axes, opset_version=14)
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")

    expected = {"tolerance": 1e-5, "keys": {}}
    with torch.no_grad():
        for key_index, key in enumerate(fx.KEYS):
            events = make_events(spec, rng, key_index)
            rows = [fx.normalised_features(spec, card, e) for e in events]
            times = [datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) for e in events]
            outputs = []
            state = fx.zero_state(model, spec, 1) if not window_mode else ()
            for i, row in enumerate(rows):
                if window_mode:
                    if i + 1 < spec["window"]:
                        outputs.append(None)
                        continue
                    window = rows[i + 1 - spec["window"]:i + 1]
                    first = outputs_of(model(fx.as_sequence(window, batch_first)))
                    outputs.append(roll_window(model, card, batch_first, window, times[i], first))
                else:
                    y, *state = model(fx.as_sequence([row], batch_first), *state)
                    outputs.append(roll_stateful(model, card, batch_first, row, times[i], outputs_of(y), state))
            expected["keys"][key] = {"events": events, "outputs": outputs}
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print(f"exported {spec['name']}: {spec['cell']} x{spec['layers']} {spec['mode']}, horizon {spec['horizon']}, "
          f"rollout to {spec['steps']} steps")


def weather_rollout_card(card, steps):
    """The block the demo adds: targets fed back, other fields held, calendar features advanced."""
    targets = [t["field"] for t in card["targets"]]
    inputs = {}
    for feature in card["features"]:
        if "field" in feature:
            inputs[feature["field"]] = {"from_target": feature["field"]} if feature["field"] in targets else "hold"
    return dict(card, rollout={"steps": steps, "inputs": inputs})


def load_weather_module(bundle):
    """The trained weights of model.onnx in train_weather_model.WeatherLSTM."""
    graph = onnx.load(os.path.join(bundle, "model.onnx")).graph
    weights = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    constants = {n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in graph.node if n.op_type == "Constant"}
    lstm = next(n for n in graph.node if n.op_type == "LSTM")
    w, r, b = (weights[name] for name in lstm.input[1:4])
    mul = next(n for n in graph.node if n.op_type == "Mul")
    add = next(n for n in graph.node if n.op_type == "Add" and n.input[0] == mul.output[0])
    skip = next(n for n in graph.node if n.op_type == "MatMul" and n.input[0] == "x")
    head = next(n for n in graph.node if n.op_type == "MatMul" and n.input[0] != "x")
    hidden = r.shape[2]
    model = weather.WeatherLSTM(w.shape[2], hidden, weather.FIELDS.index(weather.TARGET),
                                float(constants[mul.input[1]]), float(constants[add.input[1]])).eval()

    def torch_gates(m):  # ONNX orders the gates i, o, f, c; PyTorch i, f, c(g), o
        i, o, f, c = np.split(m, 4, axis=0)
        return torch.from_numpy(np.concatenate([i, f, c, o], axis=0).copy())

    with torch.no_grad():
        model.rnn.weight_ih_l0.copy_(torch_gates(w[0]))
        model.rnn.weight_hh_l0.copy_(torch_gates(r[0]))
        model.rnn.bias_ih_l0.copy_(torch_gates(b[0][:4 * hidden]))
        model.rnn.bias_hh_l0.copy_(torch_gates(b[0][4 * hidden:]))
        model.skip.weight.copy_(torch.from_numpy(weights[skip.input[1]].T.copy()))
        model.head.weight.copy_(torch.from_numpy(weights[head.input[1]].T.copy()))
        model.skip.bias.copy_(torch.from_numpy(bias_of(graph, weights, skip)))
        model.head.bias.copy_(torch.from_numpy(bias_of(graph, weights, head)))
    return model


def bias_of(graph, weights, matmul):
    """The bias added to a MatMul's output (the exporter may give it as an Identity of another initializer)."""
    add = next(n for n in graph.node if n.op_type == "Add" and matmul.output[0] in n.input)
    name = next(i for i in add.input if i != matmul.output[0])
    identity = {n.output[0]: n.input[0] for n in graph.node if n.op_type == "Identity"}
    return weights[identity.get(name, name)].copy()


def weather_reference(bundle):
    with open(os.path.join(bundle, "model.json")) as f:
        card = weather_rollout_card(json.load(f), WEATHER_STEPS)
    with open(os.path.join(bundle, "reference-2015.json")) as f:
        reference = json.load(f)
    model = load_weather_module(bundle)
    dates, raw = weather.load_weather(weather.DATA)
    means = np.array([f["mean"] for f in card["features"]])
    stds = np.array([f["std"] for f in card["features"]])
    target = card["targets"][0]
    ti = weather.FIELDS.index(weather.TARGET)
    first_made = dates.index(datetime(2015, 1, 1).date()) - WEATHER_STEPS
    result = {"model": "weather-lstm", "steps": WEATHER_STEPS, "rollout": card["rollout"],
              "convention": ("Each city is stepped one day at a time from a zero state on 2012-01-01, as in "
                             "reference-2015.json. After the real step of day d (forecast step 1, for d+1), the model "
                             "is stepped on a copy of the state with built inputs for d+1, d+2, ...: temp_max from "
                             "the previous step's forecast, precipitation, temp_min and wind as observed on d, "
                             "day_of_year sin/cos for the day. Step k is the forecast for d+k; it counts for 2015 when "
                             "d+k is in 2015 (n=365 per city and step). Persistence for step k is temp_max of day d."),
              "cities": {}}
    for c, city in enumerate(weather.CITIES):
        x = ((raw[city] - means) / stds).astype(np.float32)
        state = weather.zero_state(model.rnn.hidden_size, 1)
        errors = [[] for _ in range(WEATHER_STEPS)]
        persistence = [[] for _ in range(WEATHER_STEPS)]
        checked = 0
        with torch.no_grad():
            for d in range(len(dates)):
                y, *state = model(torch.from_numpy(x[d:d + 1]).unsqueeze(1), *state)
                first = outputs_of(y)
                for check in reference["first_forecasts_2015"][city]:
                    if check["made_on"] == dates[d].isoformat():
                        assert abs(first[0] - check["y"]) < 1e-5, (city, check, first)
                        checked += 1
                if d < first_made:
                    continue
                event_time = datetime(dates[d].year, dates[d].month, dates[d].day, tzinfo=timezone.utc)
                forecasts = roll_stateful(model, card, False, x[d], event_time, first, state)
                for k in range(1, WEATHER_STEPS + 1):
                    if d + k >= len(dates) or dates[d + k].year != 2015:
                        continue
                    actual = raw[city][d + k, ti]
                    errors[k - 1].append(forecasts[k - 1] * target["std"] + target["mean"] - actual)
                    persistence[k - 1].append(raw[city][d, ti] - actual)
        assert checked == len(reference["first_forecasts_2015"][city]), city
        result["cities"][city] = [
            {"step": k + 1, "n": len(errors[k]),
             "mae_model": round(float(np.abs(errors[k]).mean()), 6),
             "rmse_model": round(float(np.sqrt(np.square(errors[k]).mean())), 6),
             "mae_persistence": round(float(np.abs(persistence[k]).mean()), 6),
             "rmse_persistence": round(float(np.sqrt(np.square(persistence[k]).mean())), 6)}
            for k in range(WEATHER_STEPS)]
        for row in result["cities"][city]:
            print(f"{city:<10} step {row['step']}  n {row['n']}  MAE model {row['mae_model']:.3f}  "
                  f"persistence {row['mae_persistence']:.3f}")
    path = os.path.join(bundle, "reference-rollout-2015.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print("wrote", path)


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else "fixtures"
    torch.set_num_threads(1)
    if what == "fixtures":
        root = sys.argv[2] if len(sys.argv) > 2 else os.path.join(REPO, "src", "test", "resources", "fixtures")
        for spec in FIXTURES:
            export_fixture(spec, os.path.join(root, spec["name"]))
    elif what == "weather":
        weather_reference(sys.argv[2] if len(sys.argv) > 2 else os.path.join(REPO, "config", "models", "weather-lstm"))
    else:
        sys.exit("usage: rollout_reference.py fixtures [DIR] | weather [BUNDLE]")


if __name__ == "__main__":
    main()
