#!/usr/bin/python3
"""Trains the demo forecaster config/models/weather-lstm (next-day temp_max) and writes its bundle.

Run from the repository root with Debian's python3 (python3-torch 1.13, python3-onnx); CPU only,
about two to three minutes on 2 cores:

    /usr/bin/python3 tools/train_weather_model.py

It reads src/main/resources/demo/weather.csv (see weather.SOURCE.md) and writes, into
config/models/weather-lstm/ (or the directory given as the first argument):

    model.onnx           the graph carrycast runs: forward(x, h0, c0) -> (y, hn, cn), time-major
    model.json           the model card (feature/target z-scores, tensor names, network shape)
    reference-2015.json  the 2015 test figures, the hyperparameters and the validation results,
                         plus the first forecasts of 2015 so the Java side can cross-check numbers

The years are used strictly in order. Hyperparameters (hidden size, weight decay, epochs) are
picked by training on 2012-2013 and scoring 2014; the chosen setting is then retrained on
2012-2014, and 2015 is scored once, at the end, by stepping the model one day at a time from a
zero state on 2012-01-01, which is how carrycast runs it. Seeds are fixed and the run is
deterministic, so re-running reproduces the committed bundle (up to the ONNX producer string if
torch is upgraded). If onnxruntime happens to be importable the exported graph is also stepped
through it and compared; otherwise the same module is stepped in torch.
"""
import csv
import hashlib
import json
import math
import os
import sys
import time
from datetime import date

import numpy as np
import onnx
import torch
from torch import nn

SEED = 20150101
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(REPO, "src", "main", "resources", "demo", "weather.csv")
DEFAULT_OUT = os.path.join(REPO, "config", "models", "weather-lstm")
CITIES = ["Seattle", "New York"]
FIELDS = ["precipitation", "temp_max", "temp_min", "wind"]
CALENDAR = ["day_of_year_sin", "day_of_year_cos"]
TARGET = "temp_max"
# The card's calendar z-score is fixed rather than measured: sin/cos of a uniform angle have mean 0
# and std 1/sqrt(2), and using the same constants as the other carrycast models keeps cards comparable.
CALENDAR_MEAN, CALENDAR_STD = 0.0, 0.7071

VALIDATION_TRAIN_END, VALIDATION_YEAR = 2013, 2014
FINAL_TRAIN_END, TEST_YEAR = 2014, 2015

# Settled during development against the 2014 validation year only (never 2015): MSE beat L1 and
# Huber losses on validation MAE, input dropout helped Seattle but hurt New York, random 60-day
# windows and seed ensembles scored the same as this, and lr 1e-3 gave the flattest curves.
LEARNING_RATE = 1e-3
CHUNK = 60          # truncated-BPTT length; state is carried (detached) across chunks
EXTRA_STARTS = 3    # per city and epoch, extra zero-state starts besides 2012-01-01
MAX_START = 365     # latest day such an extra start may fall on
CLIP = 1.0
# What the script itself still searches on 2014. Weight decay is what stops the overfitting that
# otherwise sets in after 20-30 epochs on three years of two cities; 1e-3 was also tried and lost
# on 2014 at both sizes, so it is left out to keep the run short.
GRID_HIDDEN = [32, 64]
GRID_WEIGHT_DECAY = [3e-3, 1e-2]
MAX_EPOCHS = 80
EVAL_EVERY = 5


def load_weather(path):
    """Per-city raw feature rows [T, 6] in card order, plus the (shared) list of dates."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    dates, raw = None, {}
    for city in CITIES:
        city_rows = [r for r in rows if r["location"] == city]
        city_dates = [date.fromisoformat(r["date"]) for r in city_rows]
        # carrycast steps once per event, so a gap would silently become a one-step jump: refuse it.
        assert all((b - a).days == 1 for a, b in zip(city_dates, city_dates[1:])), city
        assert dates is None or city_dates == dates, "cities must cover the same days"
        dates = city_dates
        fields = np.array([[float(r[k]) for k in FIELDS] for r in city_rows])
        raw[city] = np.column_stack([fields, calendar_features(city_dates)])
    return dates, raw


def calendar_features(dates):
    """day_of_year sin/cos exactly as carrycast derives them from the event time (UTC midnight)."""
    out = []
    for d in dates:
        angle = 2 * math.pi * (d.timetuple().tm_yday - 1) / 365.25
        out.append([math.sin(angle), math.cos(angle)])
    return np.array(out)


def field_stats(raw, years, last_year):
    """Pooled mean/std of the field columns over the training years, rounded for the card.

    Rounded before use so that training, the card and the Java normalisation all see the same
    numbers; 4 decimals is far below the noise of the data.
    """
    rows = np.concatenate([raw[c][years <= last_year, :len(FIELDS)] for c in CITIES])
    return [round(float(v), 4) for v in rows.mean(0)], [round(float(v), 4) for v in rows.std(0)]


class WeatherLSTM(nn.Module):
    """One LSTM layer whose state is an explicit input/output, predicting a correction to persistence.

    The output is the normalised next-day temp_max. Persistence (tomorrow = today) is already a
    strong forecast, so the graph adds it explicitly and the network only learns the correction:
    a linear term on today's inputs plus a head on the LSTM state. Both start at zero, so an
    untrained model is exactly persistence.
    """

    def __init__(self, n_in, hidden, tmax_index, persistence_scale, persistence_shift):
        super().__init__()
        self.rnn = nn.LSTM(n_in, hidden, 1)
        self.head = nn.Linear(hidden, 1)
        self.skip = nn.Linear(n_in, 1)
        for layer in (self.head, self.skip):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        self.tmax_index = tmax_index
        # Feature and target z-scores may differ in general; these map the normalised input
        # temp_max onto the target's scale (they are 1 and 0 when both use the same statistics).
        self.persistence_scale = float(persistence_scale)
        self.persistence_shift = float(persistence_shift)

    def forward(self, x, h0, c0):
        out, (hn, cn) = self.rnn(x, (h0, c0))
        today = x[..., self.tmax_index:self.tmax_index + 1]
        y = today * self.persistence_scale + self.persistence_shift + self.skip(x) + self.head(out)
        return y, hn, cn


def zero_state(hidden, batch):
    return torch.zeros(1, batch, hidden), torch.zeros(1, batch, hidden)


def train(x, y, n_steps, hidden, weight_decay, epochs, seed, scale, shift, checkpoint=None):
    """Trains on the first n_steps days of each city, statefully from a zero state.

    x: [T, cities, F] normalised inputs; y: [T, cities] normalised next-day target (NaN where
    unknown). carrycast starts every key from zeros on its first day and never resets it, so the
    model is trained the same way: over each city's whole training history with truncated BPTT,
    carrying the state across chunks. A few extra zero-state starts at random chunk boundaries in
    the first year add sequences that differ in their history, which validated better than a single
    start per city. checkpoint(epoch, model) is called every EVAL_EVERY epochs.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    n_cities = x.shape[1]
    model = WeatherLSTM(x.shape[2], hidden, FIELDS.index(TARGET), scale, shift)
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, weight_decay=weight_decay)
    xs = x[:n_steps]
    ys = y[:n_steps].clone()
    # The last training day's target lies in the held-out year: never train on it.
    ys[n_steps - 1] = float("nan")
    for epoch in range(1, epochs + 1):
        model.train()
        # A random phase moves the TBPTT cuts every epoch, so no day is always at a chunk edge.
        phase = int(rng.integers(1, CHUNK + 1))
        bounds = list(range(0, n_steps, CHUNK)) if phase == CHUNK else [0] + list(range(phase, n_steps, CHUNK))
        candidates = [b for b in bounds if 0 < b <= MAX_START]
        starts = [0] + sorted(int(s) for s in rng.choice(candidates, EXTRA_STARTS, replace=False))
        # Batch column b = (start s, city c); it sees inputs from day 0 but its state is zeroed at
        # its start and its loss counts only from there.
        col_start = torch.tensor([s for s in starts for _ in range(n_cities)])
        xb = xs.repeat(1, len(starts), 1)
        yb = ys.repeat(1, len(starts))
        h, c = zero_state(hidden, xb.shape[1])
        for i, b0 in enumerate(bounds):
            b1 = bounds[i + 1] if i + 1 < len(bounds) else n_steps
            reset = (col_start == b0).view(1, -1, 1)
            h = torch.where(reset, torch.zeros_like(h), h.detach())
            c = torch.where(reset, torch.zeros_like(c), c.detach())
            pred, h, c = model(xb[b0:b1], h, c)
            target = yb[b0:b1]
            t = torch.arange(b0, b1).view(-1, 1)
            mask = (t >= col_start.view(1, -1)) & ~torch.isnan(target)
            if not mask.any():
                continue
            loss = ((pred[..., 0] - target)[mask] ** 2).mean()
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), CLIP)
            opt.step()
        if checkpoint is not None and epoch % EVAL_EVERY == 0:
            model.eval()
            checkpoint(epoch, model)
    model.eval()
    return model


@torch.no_grad()
def run_sequence(model, x):
    """All days at once from a zero state: [T, cities] normalised forecasts."""
    y, _, _ = model(x, *zero_state(model.rnn.hidden_size, x.shape[1]))
    return y[..., 0].numpy()


@torch.no_grad()
def run_stepwise(model, x):
    """One day at a time, feeding hn/cn back as h0/c0: exactly what carrycast does per event."""
    h, c = zero_state(model.rnn.hidden_size, x.shape[1])
    out = []
    for t in range(x.shape[0]):
        y, h, c = model(x[t:t + 1], h, c)
        out.append(y[0, :, 0].numpy())
    return np.stack(out)


def run_onnxruntime(path, x, hidden):
    """The exported graph stepped one day at a time, if onnxruntime is installed; else None."""
    try:
        import onnxruntime
    except ImportError:
        return None
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    xn = x.numpy()
    h = np.zeros((1, xn.shape[1], hidden), np.float32)
    c = np.zeros_like(h)
    out = []
    for t in range(xn.shape[0]):
        y, h, c = session.run(["y", "hn", "cn"], {"x": xn[t:t + 1], "h0": h, "c0": c})
        out.append(y[0, :, 0])
    return np.stack(out)


def score(pred_norm, raw, years, year, target_mean, target_std):
    """MAE/RMSE in °C of forecasts whose target day falls in `year`, model and persistence.

    A forecast made on day d is for day d+1, and it is attributed to the year of d+1.
    """
    made = np.where(years[1:] == year)[0]
    result = {}
    for i, city in enumerate(CITIES):
        truth = raw[city][made + 1, FIELDS.index(TARGET)]
        model = pred_norm[made, i].astype(np.float64) * target_std + target_mean
        persistence = raw[city][made, FIELDS.index(TARGET)]
        result[city] = {
            "mae_model": float(np.abs(model - truth).mean()),
            "rmse_model": float(np.sqrt(((model - truth) ** 2).mean())),
            "mae_persistence": float(np.abs(persistence - truth).mean()),
            "rmse_persistence": float(np.sqrt(((persistence - truth) ** 2).mean())),
            "n": int(len(made)),
        }
    return result


def relative_mae(result):
    """Selection criterion: model MAE as a fraction of persistence MAE, in the worse city.

    The demo's promise is to beat persistence in every city, so the setting with the largest margin
    in its weakest city wins. In practice that is Seattle, whose mild, maritime days make
    persistence hard to beat; an average over cities would let New York's easier gains decide.
    """
    return float(max(r["mae_model"] / r["mae_persistence"] for r in result.values()))


def build_card(hidden, means, stds):
    features = [{"field": f, "mean": m, "std": s} for f, m, s in zip(FIELDS, means, stds)]
    features += [{"calendar": c, "mean": CALENDAR_MEAN, "std": CALENDAR_STD} for c in CALENDAR]
    ti = FIELDS.index(TARGET)
    return {
        "name": "weather-lstm",
        "version": "1",
        "mode": "stateful",
        "window": 60,
        "cadence": "P1D",
        "features": features,
        "targets": [{"field": TARGET, "mean": means[ti], "std": stds[ti]}],
        "horizon": 1,
        "network": {"cell": "lstm", "layers": 1, "hidden": hidden, "bidirectional": False},
        "tensors": {"input": "x", "output": "y", "layout": "time_major",
                    "state": [{"input": "h0", "output": "hn"}, {"input": "c0", "output": "cn"}]},
    }


def export_onnx(model, path):
    hidden = model.rnn.hidden_size
    example = (torch.zeros(2, 1, model.rnn.input_size),) + zero_state(hidden, 1)
    dynamic_axes = {"x": {0: "seq", 1: "batch"}, "y": {0: "seq", 1: "batch"}}
    for name in ("h0", "c0", "hn", "cn"):
        dynamic_axes[name] = {1: "batch"}
    torch.onnx.export(model, example, path, input_names=["x", "h0", "c0"], output_names=["y", "hn", "cn"],
                      dynamic_axes=dynamic_axes, opset_version=14)
    onnx.checker.check_model(onnx.load(path))


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def main():
    started = time.time()
    out_dir = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    with open(DATA, "rb") as f:
        sha1 = hashlib.sha1(f.read()).hexdigest()
    dates, raw = load_weather(DATA)
    years = np.array([d.year for d in dates])

    # Normalisation statistics come from the final training years (2012-2014) and are used in the
    # validation runs too, so the validated setting is the one that ships. They contain no 2015 data.
    means, stds = field_stats(raw, years, FINAL_TRAIN_END)
    card = build_card(0, means, stds)
    all_means = np.array([f["mean"] for f in card["features"]])
    all_stds = np.array([f["std"] for f in card["features"]])
    ti = FIELDS.index(TARGET)
    target_mean, target_std = card["targets"][0]["mean"], card["targets"][0]["std"]
    scale, shift = all_stds[ti] / target_std, (all_means[ti] - target_mean) / target_std

    x = torch.from_numpy(np.stack([(raw[c] - all_means) / all_stds for c in CITIES], 1).astype(np.float32))
    y = torch.cat([x[1:, :, ti], torch.full((1, len(CITIES)), float("nan"))])

    # 1. Validation: train on 2012-2013, score 2014, pick hidden size, weight decay and epochs.
    n_val_train = int(np.where(years <= VALIDATION_TRAIN_END)[0][-1]) + 1
    validation = []
    for hidden in GRID_HIDDEN:
        for wd in GRID_WEIGHT_DECAY:
            curve = []

            def checkpoint(epoch, model):
                result = score(run_sequence(model, x), raw, years, VALIDATION_YEAR, target_mean, target_std)
                curve.append({"epoch": epoch, "worst_mae_ratio": round(relative_mae(result), 4),
                              **{f"mae_{c}": round(result[c]["mae_model"], 4) for c in CITIES}})

            train(x, y, n_val_train, hidden, wd, MAX_EPOCHS, SEED, scale, shift, checkpoint)
            best = min(curve, key=lambda p: p["worst_mae_ratio"])
            validation.append({"hidden": hidden, "weight_decay": wd, "best": best, "curve": curve})
            print(f"validate hidden={hidden} wd={wd:g}: best epoch {best['epoch']} {best}", flush=True)
    chosen = min(validation, key=lambda v: v["best"]["worst_mae_ratio"])
    validation_persistence = score(y.numpy(), raw, years, VALIDATION_YEAR, target_mean, target_std)
    hidden, wd, epochs = chosen["hidden"], chosen["weight_decay"], chosen["best"]["epoch"]
    print(f"chosen: hidden={hidden} weight_decay={wd:g} epochs={epochs}", flush=True)

    # 2. Retrain on 2012-2014 with the chosen setting (same epoch count: the curves are flat near
    # the optimum thanks to the weight decay, so the extra year of data does not need a new count).
    n_train = int(np.where(years <= FINAL_TRAIN_END)[0][-1]) + 1
    model = train(x, y, n_train, hidden, wd, epochs, SEED, scale, shift)

    # 3. Export, then check that stepping one day at a time (as carrycast does) gives what the
    # whole-sequence run gives, and, when available, what onnxruntime gives for the exported file.
    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, "model.onnx")
    export_onnx(model, onnx_path)
    card["network"]["hidden"] = hidden
    write_json(os.path.join(out_dir, "model.json"), card)
    stepwise = run_stepwise(model, x)
    checks = {"max_abs_diff_stepwise_vs_sequence": float(np.abs(stepwise - run_sequence(model, x)).max())}
    ort = run_onnxruntime(onnx_path, x, hidden)
    if ort is not None:
        checks["max_abs_diff_onnxruntime_stepwise_vs_torch_stepwise"] = float(np.abs(ort - stepwise).max())
    assert all(v < 1e-4 for v in checks.values()), checks

    # 4. The one and only look at 2015.
    test = score(stepwise, raw, years, TEST_YEAR, target_mean, target_std)
    first = int(np.where(years[1:] == TEST_YEAR)[0][0])
    first_forecasts = {
        city: [{"made_on": dates[t].isoformat(), "for": dates[t + 1].isoformat(),
                "y": round(float(stepwise[t, i]), 6),
                "temp_max": round(float(stepwise[t, i]) * target_std + target_mean, 4)}
               for t in range(first, first + 3)]
        for i, city in enumerate(CITIES)
    }
    reference = {
        "model": "weather-lstm",
        "data": {"path": "src/main/resources/demo/weather.csv", "sha1": sha1},
        "convention": (
            "Each city is stepped one event (day) at a time from a zero state on 2012-01-01 through "
            "2015-12-31, carrying hn/cn as the next h0/c0. The output y after the event of day d is the "
            "forecast of temp_max for day d+1, in °C as y*std+mean. A forecast counts for 2015 when its "
            "target day d+1 is in 2015: the forecasts made on 2014-12-31 .. 2015-12-30 (n=365 per city); "
            "the forecast made on 2015-12-31 has no target and is skipped. Persistence forecasts day "
            "d+1 as temp_max of day d over the same 365 pairs."),
        "cities": {c: {k: (round(v, 4) if isinstance(v, float) else v) for k, v in test[c].items()}
                   for c in CITIES},
        "first_forecasts_2015": first_forecasts,
        "first_forecasts_note": ("y is the raw (normalised) graph output; temp_max = y*std+mean in °C. "
                                 "Expect agreement to about 1e-4 °C (float32 arithmetic)."),
        "hyperparameters": {
            "hidden": hidden, "layers": 1, "weight_decay": wd, "epochs": epochs,
            "learning_rate": LEARNING_RATE, "optimizer": "Adam", "loss": "mse (normalised units)",
            "tbptt_chunk": CHUNK, "extra_zero_state_starts_per_city": EXTRA_STARTS,
            "max_extra_start_day": MAX_START, "grad_clip": CLIP, "seed": SEED,
            "output": "y = today's normalised temp_max (persistence) + linear(inputs) + linear(lstm state)",
            "train_years": "2012-2014", "normalisation_years": "2012-2014 (both cities pooled, population std)",
        },
        "selection": {
            "train_years": "2012-2013", "validation_year": VALIDATION_YEAR,
            "criterion": "worst city's validation MAE / persistence MAE (lower is better), checked every "
                         f"{EVAL_EVERY} epochs up to {MAX_EPOCHS}",
            "persistence_mae": {c: round(validation_persistence[c]["mae_persistence"], 4) for c in CITIES},
            "grid": [{"hidden": v["hidden"], "weight_decay": v["weight_decay"], **v["best"]} for v in validation],
        },
        "checks": checks,
    }
    write_json(os.path.join(out_dir, "reference-2015.json"), reference)

    print(f"2015 (n per city = {test[CITIES[0]]['n']})      MAE model  MAE persist  RMSE model  RMSE persist")
    for c in CITIES:
        r = test[c]
        print(f"  {c:<10} {r['mae_model']:16.3f} {r['mae_persistence']:12.3f} "
              f"{r['rmse_model']:11.3f} {r['rmse_persistence']:13.3f}")
    print(f"checks {checks}; wrote {out_dir} in {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
