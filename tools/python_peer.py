#!/usr/bin/python3
"""The forecaster a user would otherwise write: a confluent-kafka consumer loop that keeps each key's
LSTM state (h, c) in a dict and steps PyTorch once per message, writing a JSON forecast per event.

It reads a carrycast model bundle (model.onnx + model.json) of a one-layer LSTM with a linear head, copies
the ONNX weights into torch.nn.LSTM and torch.nn.Linear, and writes forecasts in carrycast's JSON form, so
the end-to-end benchmark can count and time them like carrycast's. It keeps no durable state: a restart
starts every key from zero, which is what makes it cheaper than a fault-tolerant forecaster.

    /usr/bin/python3 tools/python_peer.py --bootstrap HOST:PORT --input T --output T --model DIR [--group G]
    /usr/bin/python3 tools/python_peer.py --self-check --model DIR

Needs Debian's python3-torch, python3-onnx and python3-confluent-kafka. --self-check compares the torch
module with ONNX's LSTM definition written out in numpy and exits. Prints "ready" once partitions are
assigned; runs until SIGTERM or SIGINT, then flushes and exits.
"""
import argparse
import datetime
import json
import os
import re
import signal
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper


def load_bundle(directory):
    """The card and the torch modules holding the ONNX graph's LSTM and head weights."""
    with open(os.path.join(directory, "model.json")) as f:
        card = json.load(f)
    network = card["network"]
    if network["cell"] != "lstm" or network["layers"] != 1 or network.get("bidirectional"):
        sys.exit("python_peer: only one-layer unidirectional LSTM bundles are supported, found %s" % network)
    graph = onnx.load(os.path.join(directory, "model.onnx")).graph
    weights = {t.name: numpy_helper.to_array(t).copy() for t in graph.initializer}
    lstm_node = next(n for n in graph.node if n.op_type == "LSTM")
    w, r, b = (weights[name] for name in lstm_node.input[1:4])
    matmul = next(n for n in graph.node if n.op_type == "MatMul")
    add = next(n for n in graph.node if n.op_type == "Add")
    head_w = weights[matmul.input[1]]
    head_b = weights[next(i for i in add.input if i in weights)]
    hidden = network["hidden"]
    lstm = torch.nn.LSTM(input_size=w.shape[2], hidden_size=hidden)
    head = torch.nn.Linear(hidden, head_w.shape[1])
    # ONNX stacks the gates as i, o, f, c; torch as i, f, g (= c), o.
    order = np.concatenate([np.arange(k * hidden, (k + 1) * hidden) for k in (0, 2, 3, 1)])
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(w[0][order]))
        lstm.weight_hh_l0.copy_(torch.from_numpy(r[0][order]))
        lstm.bias_ih_l0.copy_(torch.from_numpy(b[0][:4 * hidden][order]))
        lstm.bias_hh_l0.copy_(torch.from_numpy(b[0][4 * hidden:][order]))
        head.weight.copy_(torch.from_numpy(head_w.T.copy()))
        head.bias.copy_(torch.from_numpy(head_b))
    return card, lstm.eval(), head.eval(), (w[0], r[0], b[0], head_w, head_b)


def onnx_lstm_step(x, h, c, w, r, b, head_w, head_b):
    """One step of ONNX's LSTM (default activations, no peepholes) and the head, from the operator's spec."""
    hidden = h.shape[0]
    gates = w @ x + r @ h + b[:4 * hidden] + b[4 * hidden:]
    sigmoid = lambda v: 1.0 / (1.0 + np.exp(-v))
    i, o, f, g = (gates[k * hidden:(k + 1) * hidden] for k in range(4))
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    h = sigmoid(o) * np.tanh(c)
    return h @ head_w + head_b, h, c


def self_check(directory):
    card, lstm, head, (w, r, b, head_w, head_b) = load_bundle(directory)
    rng = np.random.default_rng(3)
    hidden = card["network"]["hidden"]
    h_ref = np.zeros(hidden)
    c_ref = np.zeros(hidden)
    state = None
    worst = 0.0
    for _ in range(50):
        x = rng.normal(size=w.shape[1]).astype(np.float32)
        y_ref, h_ref, c_ref = onnx_lstm_step(x.astype(np.float64), h_ref, c_ref, w, r, b, head_w, head_b)
        with torch.no_grad():
            _, state = lstm(torch.from_numpy(x).view(1, 1, -1), state)
            y = head(state[0][-1, 0]).numpy()
        worst = max(worst, float(np.max(np.abs(y - y_ref))))
    print("self-check: 50 steps, largest |torch - ONNX definition| = %.2e" % worst)
    return 0 if worst < 1e-4 else 1


def duration_ms(text):
    """An ISO-8601 duration of days, hours, minutes and seconds (the card's cadence) in milliseconds."""
    match = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", text)
    if not match or text in ("P", "PT"):
        sys.exit("python_peer: cadence %r is not a duration of days, hours, minutes and seconds" % text)
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return round(((days * 24 + hours) * 60 + minutes) * 60_000 + seconds * 1000)


def epoch_ms(value):
    """Event time from epoch milliseconds, or from an ISO-8601 text (UTC when it names no offset)."""
    if not isinstance(value, str):
        return int(value)
    parsed = datetime.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return (parsed - EPOCH) // datetime.timedelta(milliseconds=1)


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def iso(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def run(args):
    from confluent_kafka import Consumer, Producer

    torch.set_num_threads(1)
    card, lstm, head, _ = load_bundle(args.model)
    features = [(f["field"], f["mean"], f["std"]) for f in card["features"]]
    targets = [(t["field"], t["mean"], t["std"]) for t in card["targets"]]
    time_field = args.time_field
    cadence_ms = duration_ms(card["cadence"])
    model = {"name": card["name"], "version": card["version"]}

    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": True})
    producer = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 5})
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))

    def on_assign(c, partitions):
        print("ready: %d partitions" % len(partitions), flush=True)

    consumer.subscribe([args.input], on_assign=on_assign)
    states = {}
    steps = {}
    with torch.no_grad():
        while not stopping:
            for message in consumer.consume(num_messages=500, timeout=0.1):
                if message.error():
                    continue
                key = message.key()
                event = json.loads(message.value())
                x = torch.tensor([(float(event[name]) - mean) / std for name, mean, std in features],
                                 dtype=torch.float32).view(1, 1, -1)
                _, state = lstm(x, states.get(key))
                states[key] = state
                steps[key] = steps.get(key, 0) + 1
                y = head(state[0][-1, 0]).tolist()
                time_ms = epoch_ms(event[time_field]) if time_field else message.timestamp()[1]
                values = {name: y[t] * std + mean for t, (name, mean, std) in enumerate(targets)}
                forecast = {"key": key.decode(), "event_time": iso(time_ms), "model": model, "mode": "stateful",
                            "steps_seen": steps[key],
                            "forecast": [{"step": 1, "target_time": iso(time_ms + cadence_ms), "values": values}]}
                while True:
                    try:
                        producer.produce(args.output, key=key, value=json.dumps(forecast).encode())
                        break
                    except BufferError:
                        producer.poll(0.01)
            producer.poll(0)
    producer.flush(30)
    consumer.close()
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="carrycast model bundle directory")
    parser.add_argument("--bootstrap")
    parser.add_argument("--input")
    parser.add_argument("--output")
    parser.add_argument("--group", default="python-peer")
    parser.add_argument("--time-field", default="time", help="event field with epoch milliseconds or an ISO-8601 time; empty: record time")
    parser.add_argument("--self-check", action="store_true")
    args = parser.parse_args()
    if args.self_check:
        return self_check(args.model)
    if not (args.bootstrap and args.input and args.output):
        parser.error("--bootstrap, --input and --output are required")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
