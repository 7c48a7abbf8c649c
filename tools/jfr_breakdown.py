#!/usr/bin/env python3
"""Where a Kafka Streams thread's time goes, from a JFR recording: its execution samples by what they were doing.

    python3 tools/jfr_breakdown.py RECORDING.jfr [--thread StreamThread] [--top 15]

Each execution sample of the threads whose name contains --thread is put in one group, by the innermost
carrycast frame on its stack and what runs inside it:
  - event JSON read (io.carrycast.forecast.EventReader, IsoTimestamps, FeatureExtractor)
  - forecast JSON write (ForecastJson)
  - model step (the runner, ONNX Runtime, tensor copies: io.carrycast.runner, Forecaster, ai.onnxruntime)
  - state encode/decode (io.carrycast.state)
  - store reads and writes (Kafka Streams' caching, changelogging and RocksDB layers under a carrycast call)
  - forward and produce (context.forward of a forecast, down to the producer)
  - carrycast, other (the engine's and processor's own code)
  - Kafka Streams, outside carrycast (polling, record queues, commits, the passthrough's processor...)
Then the hottest leaf methods overall. Needs the JDK's `jfr` tool on the PATH (JDK 17: `jfr print --json`).
Counts are samples (JFR samples a running thread every 10-20 ms), so groups under about 2 % of a few
hundred samples are noise.
"""
import argparse
import collections
import json
import subprocess
import sys


def frame_name(frame):
    method = frame["method"]
    return method["type"]["name"].replace("/", ".") + "." + method["name"]


def group(frames):
    """The group of one sample; frames run from the leaf (the running method) to the root."""
    names = [frame_name(f) for f in frames]
    for depth, name in enumerate(names):
        if not name.startswith("io.carrycast."):
            continue
        inner = names[:depth]
        if any(n.startswith("ai.onnxruntime.") for n in inner) or ".runner." in name or ".Forecaster." in name:
            return "model step (runner, ONNX Runtime, tensors)"
        if ".EventReader." in name or ".IsoTimestamps." in name or ".FeatureExtractor." in name \
                or ".TimestampFormat." in name:
            return "event JSON read"
        if ".ForecastJson" in name:
            return "forecast JSON write"
        if ".state." in name:
            return "state encode/decode"
        if any(n.startswith("org.apache.kafka.streams.state.") for n in inner):
            return "store reads and writes (Kafka Streams stores)"
        if any("forward" in n or n.startswith("org.apache.kafka.clients.producer.") for n in inner):
            return "forward and produce"
        return "carrycast, other"
    return "Kafka Streams, outside carrycast"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("recording")
    parser.add_argument("--thread", default="StreamThread")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    printed = subprocess.run(["jfr", "print", "--json", "--stack-depth", "64", "--events", "jdk.ExecutionSample", args.recording],
                             check=True, capture_output=True, text=True).stdout
    groups = collections.Counter()
    leaves = collections.Counter()
    for event in json.loads(printed)["recording"]["events"]:
        thread = event["values"].get("sampledThread") or {}
        if args.thread not in (thread.get("javaName") or ""):
            continue
        frames = event["values"]["stackTrace"]["frames"]
        if not frames:
            continue
        groups[group(frames)] += 1
        leaves[frame_name(frames[0])] += 1
    total = sum(groups.values())
    if total == 0:
        sys.exit(f"no execution samples of a thread named like '{args.thread}' in {args.recording}")
    print(f"{total} samples of threads named like '{args.thread}'")
    for name, count in groups.most_common():
        print(f"{100.0 * count / total:5.1f} %  {name}")
    print(f"hottest leaf methods:")
    for name, count in leaves.most_common(args.top):
        print(f"{100.0 * count / total:5.1f} %  {name}")


if __name__ == "__main__":
    main()
