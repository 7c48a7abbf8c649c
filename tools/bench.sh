#!/usr/bin/env bash
# Benchmarks (never part of the tests). Quick set: ./tools/bench.sh ; everything: ./tools/bench.sh full
# Failover with and without standby replicas: ./tools/bench.sh failover [keys] [repeats]
# As deployed: ./tools/bench.sh deployed [keys=N] [events-per-key=N] [repeats=N] [port=N] [only=REGEX]
#   [profile=DIR] [java-opts=OPTIONS]: the broker (carrycast broker --partitions 4) and each forecaster
#   (carrycast run --config FILE, also with two and twenty routes; the stateful passthrough; the Python peer)
#   in processes of their own, events with an ISO-8601 ts field; then, in the same run, the in-process
#   passthrough, stateful passthrough and batched scenarios at 100K keys x the same events per key, in a JVM
#   with the launcher's collector.
# ISO-8601 timestamps read by hand against java.time's parseBest, ns per parse: ./tools/bench.sh timestamps
# Resident memory of one instance with and without the RocksDB bound (MiB, 0 = none):
#   ./tools/bench.sh memory [keys] [events-per-key] [bounds...]     e.g. ./tools/bench.sh memory 1000000 2 256 0
#   1. JMH: one model step through the runner, batch 1..1024, LSTM/GRU/SimpleRNN with 64 hidden units.
#   2. End to end on the embedded broker: passthrough, naive, batched, window mode; EOS and at-least-once;
#      the levers (record cache, stored window, latest store, producer batches, commit interval, threads).
# Options after the mode go to the end-to-end harness: only=REGEX (scenarios whose name it finds),
# repeats=N, no-latency, events-per-key=N (100K-key scenarios; 4 by default), profile=DIR (a JFR
# recording of each run's measured stretch), rates=2000,20000 (input rates of the latency stretches after
# each run; 2000 by default), latency-seconds=N (10), latency-settle-seconds=N (0: seconds at each rate before
# its latencies are recorded), set=NAME=VALUE (a setting for every scenario), e.g.
#   ./tools/bench.sh quick "only=100K keys eos" repeats=5 profile=/tmp/jfr
# ./tools/bench.sh e2e [options] runs the end-to-end quick set alone, without JMH.
# ./tools/bench.sh resample: resampled LSTM-64 end to end at 100K keys (4 events per bucket), with and without
#   late events allowed, against the un-resampled stateful path in the same run, then the open-bucket index
#   with 1M keys open.
# ./tools/bench.sh rollout: the model's cost per event as rollout steps grow (JMH), and 24-step rollout end to
#   end at 100K keys against the same run without rollout.
# ./tools/bench.sh scoring: live scoring on, and a challenger of the same size, at 100K keys, beside the same run
#   without, at a 100 MB and a 200 MB record cache.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-quick}
mvn -B -q -DskipTests test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
cp="target/test-classes:target/classes:$(cat target/bench-classpath.txt)"
if [[ $mode == failover ]]; then
  java -Xmx1g -cp "$cp" io.carrycast.bench.FailoverBenchmark "${@:2}" 2>&1 | grep --line-buffered -vE "^[0-9:.]+ (WARN|INFO)"; exit
fi
if [[ $mode == deployed ]]; then
  # The launcher would build the jar itself when it is stale; built here so no run starts with a build.
  mvn -B -q -DskipTests package
  java -Xmx2g -cp "$cp" io.carrycast.bench.AsDeployedBenchmark "${@:2}" 2>&1 | grep --line-buffered -vE "^[0-9:.]+ (WARN|INFO)"
  repeats=$(printf '%s\n' "${@:2}" | grep '^repeats=' || echo repeats=3)
  per_key=$(printf '%s\n' "${@:2}" | grep '^events-per-key=' || echo events-per-key=12)
  echo "== In process, same run (the launcher's collector, -XX:+UseParallelGC) =="
  java -Xmx4g -XX:+UseParallelGC -cp "$cp" io.carrycast.bench.EndToEndBenchmark quick no-latency "$per_key" "$repeats" \
    'only=^(passthrough|stateful passthrough|batched) 100K keys (alos|eos)$' 2>&1 | grep --line-buffered -vE "^[0-9:.]+ (WARN|INFO)"
  exit
fi
if [[ $mode == timestamps ]]; then
  java -cp "$cp" io.carrycast.bench.TimestampParseBenchmark; exit
fi
if [[ $mode == memory ]]; then
  java -Xmx2g -cp "$cp" io.carrycast.bench.MemoryBenchmark "${@:2}" 2>&1 | grep --line-buffered -vE "^[0-9:.]+ (WARN|INFO)"; exit
fi
if [[ $mode == resample ]]; then
  java -Xmx4g -XX:+UseParallelGC -cp "$cp" io.carrycast.bench.EndToEndBenchmark quick 'only=^(batched|resampled) 100K keys alos( lateness 8s)?$' \
    no-latency "${@:2}" 2>&1 | grep --line-buffered -vE "^[0-9:.]+ (WARN|INFO)"
  java -Xmx4g -cp "$cp" io.carrycast.bench.OpenBucketIndexBenchmark 2>&1 | grep --line-buffered -vE "^[0-9:.]+ (WARN|INFO)"
  exit
fi
if [[ $mode == rollout ]]; then
  java -cp "$cp" org.openjdk.jmh.Main RolloutBenchmark -wi 2 -i 3 -w 1 -r 1 -f 1 2>&1 | sed -n '/^Benchmark/,$p'
  java -cp "$cp" io.carrycast.bench.RolloutBenchmark   # the same batches by thread CPU time
  java -Xmx4g -XX:+UseParallelGC -cp "$cp" io.carrycast.bench.EndToEndBenchmark quick 'only=^batched(\+rollout24)? 100K keys alos$' \
    no-latency "${@:2}" 2>&1 | grep --line-buffered -vE "^[0-9:.]+ (WARN|INFO)"; exit
fi
if [[ $mode == scoring ]]; then
  java -Xmx4g -XX:+UseParallelGC -cp "$cp" io.carrycast.bench.EndToEndBenchmark quick \
    'only=^batched(\+scoring|\+challenger)? 100K keys alos( 200MB cache)?$' no-latency "${@:2}" 2>&1 \
    | grep --line-buffered -vE "^[0-9:.]+ (WARN|INFO)"; exit
fi
if [[ $mode == full ]]; then jmh=(-wi 3 -i 5 -w 2 -r 2); else jmh=(-wi 2 -i 3 -w 1 -r 1); fi
if [[ $mode == e2e ]]; then
  mode=quick
else
  echo "== JMH: model step (us per call; per event = score / batch) =="
  java -cp "$cp" org.openjdk.jmh.Main ModelStepBenchmark "${jmh[@]}" -f 1 2>&1 | sed -n '/^Benchmark/,$p'
fi
echo "== End to end =="
java -Xmx4g -XX:+UseParallelGC -cp "$cp" io.carrycast.bench.EndToEndBenchmark "$mode" "${@:2}" 2>&1 | grep --line-buffered -vE "^[0-9:.]+ (WARN|INFO)"
