#!/usr/bin/env python3
"""Measures one recurrent step of carrycast's benchmark models with Python onnxruntime, on CPU and (where
the installed onnxruntime has it and a GPU is present) on the CUDA execution provider, for batch sizes 1
to 4096, and prints the batch size from which the GPU pays.

The Java GPU path needs onnxruntime_gpu (about 370 MB) from Maven Central, which a GPU host may not
reach; this script measures the same ONNX files with whatever onnxruntime the host has. Host-to-device
copies are included, as in carrycast's Java runner (the Java API has no IO binding).

    python3 tools/gpu_benchmark.py [--models src/test/resources/bench] [--repeats 200]

Needs numpy and onnxruntime (onnxruntime-gpu for the CUDA column).
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import onnxruntime as ort

BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]


def session(path, provider, threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(path, options, providers=[provider])


def feeds(model_dir, sess, batch, rng):
    card = json.load(open(os.path.join(model_dir, "model.json")))
    network = card["network"]
    slices = network["layers"] * (2 if network.get("bidirectional") else 1)
    result = {}
    for node in sess.get_inputs():
        if node.name == card["tensors"]["input"]:
            result[node.name] = rng.standard_normal((1, batch, len(card["features"])), dtype=np.float32)
        else:
            result[node.name] = np.zeros((slices, batch, network["hidden"]), dtype=np.float32)
    return result


def median_micros(sess, inputs, repeats):
    for _ in range(max(5, repeats // 10)):
        sess.run(None, inputs)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        sess.run(None, inputs)
        times.append((time.perf_counter() - start) * 1e6)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="src/test/resources/bench")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1, help="CPU intra-op threads (carrycast's default: 1)")
    args = parser.parse_args()
    has_cuda = "CUDAExecutionProvider" in ort.get_available_providers()
    print(f"onnxruntime {ort.__version__}; providers {ort.get_available_providers()}")
    if has_cuda:
        try:
            import subprocess
            print(subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                                 capture_output=True, text=True).stdout.strip())
        except OSError:
            pass
    rng = np.random.default_rng(1)
    for name in sorted(os.listdir(args.models)):
        model_dir = os.path.join(args.models, name)
        path = os.path.join(model_dir, "model.onnx")
        if not os.path.isfile(path):
            continue
        cpu = session(path, "CPUExecutionProvider", args.threads)
        gpu = session(path, "CUDAExecutionProvider", 1) if has_cuda else None
        print(f"\n{name}: median microseconds per call (per event)")
        print(f"{'batch':>6} {'CPU':>22} {'CUDA':>22} {'CUDA/CPU per event':>20}")
        pays_from = None
        for batch in BATCHES:
            inputs = feeds(model_dir, cpu, batch, rng)
            cpu_us = median_micros(cpu, inputs, args.repeats)
            line = f"{batch:>6} {cpu_us:>12.1f} ({cpu_us / batch:>7.3f})"
            if gpu is not None:
                gpu_us = median_micros(gpu, inputs, args.repeats)
                ratio = gpu_us / cpu_us
                if ratio < 1 and pays_from is None:
                    pays_from = batch
                line += f" {gpu_us:>12.1f} ({gpu_us / batch:>7.3f}) {ratio:>20.2f}"
            else:
                line += f" {'(no CUDA provider)':>22}"
            print(line)
        if gpu is not None:
            print(f"GPU pays from batch {pays_from}" if pays_from else "GPU never paid up to batch 4096")


if __name__ == "__main__":
    main()
