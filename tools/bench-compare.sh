#!/usr/bin/env bash
# Before/after end-to-end throughput of two revisions, their runs alternated so both see the same machine:
#   tools/bench-compare.sh BEFORE_REV AFTER_REV [runs=N] [harness options...]
# e.g.
#   tools/bench-compare.sh main HEAD                    # batched 100K keys, alos and eos, 3 runs each
#   tools/bench-compare.sh main HEAD runs=5 'only=^stateful 1K keys alos$'
# Each revision is checked out into a temporary git worktree (git worktree add --detach, in a temp dir removed
# at the end, also on failure or Ctrl-C) and built once, offline, as tools/bench.sh builds. Then runs=N
# alternations (3 by default): before, after, before, after, ... each run a JVM of its own running
# io.carrycast.bench.EndToEndBenchmark over the whole scenario set, in that revision's checkout.
# Harness options are tools/bench.sh's (only=REGEX, events-per-key=N, repeats=N, no-latency, set=NAME=VALUE,
# ...). Defaults: 'only=^batched 100K keys (alos|eos)$' events-per-key=12 repeats=1 no-latency; an only=,
# events-per-key= or repeats= given replaces that default, any other option is added. With repeats above 1
# a run's figure is the harness's median of its repeats.
# Both revisions must have every scenario that only= selects: checked before the runs (from each revision's
# scenario list) and in every run's output; where one lacks a scenario it stops and names it.
# It prints one table: per scenario, each revision's events/s per run (the harness's summary table: output
# events/s between 30 % and 90 % of the run), their median and spread (min-max, and max-min as a share of
# the median), the after/before ratio of the medians and the per-run ratios (run i of after against run i
# of before, the run just before it). The builds' and every run's raw output, and the table, go to a log
# directory it names at the start: target/bench-compare/<UTC time>-<before>-<after>, or BENCH_COMPARE_LOGS.
# JAVA_OPTS: the runs' JVM options (-Xmx4g -XX:+UseParallelGC by default, as tools/bench.sh and the launcher's collector).
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; }
if (( $# < 2 )) || [[ $1 == -h || $1 == --help ]]; then
  usage
  exit 2
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

die() {
  echo "bench-compare: $*" >&2
  exit 1
}

resolve() {
  git rev-parse --verify --quiet "$1^{commit}" || { echo "bench-compare: no such revision: $1" >&2; exit 2; }
}
before_rev=$1
after_rev=$2
shift 2
before_sha=$(resolve "$before_rev")
after_sha=$(resolve "$after_rev")
declare -A sha=([before]=$before_sha [after]=$after_sha)
declare -A name=([before]=$before_rev [after]=$after_rev)

runs=3
only='^batched 100K keys (alos|eos)$'
per_key=12
repeats=1
extra=()
for arg in "$@"; do
  case $arg in
    runs=*) runs=${arg#runs=} ;;
    only=*) only=${arg#only=} ;;
    events-per-key=*) per_key=${arg#events-per-key=} ;;
    repeats=*) repeats=${arg#repeats=} ;;
    no-latency) ;;
    *) extra+=("$arg") ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "runs=N needs a positive whole number, not '$runs'"
harness=("only=$only" "events-per-key=$per_key" "repeats=$repeats" no-latency ${extra[@]+"${extra[@]}"})
read -r -a java_opts <<<"${JAVA_OPTS:--Xmx4g -XX:+UseParallelGC}"

short() { git rev-parse --short "$1"; }
logs=${BENCH_COMPARE_LOGS:-target/bench-compare/$(date -u +%Y%m%dT%H%M%SZ)-$(short "${sha[before]}")-$(short "${sha[after]}")}
mkdir -p "$logs"
logs=$(cd "$logs" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-compare.XXXXXX")
child=

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n $child ]]; then
    kill "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  for side in before after; do
    if [[ -e $tmp/$side ]]; then
      git -C "$repo" worktree remove --force "$tmp/$side" >/dev/null 2>&1 \
        || echo "bench-compare: could not remove the worktree $tmp/$side: git worktree remove --force it" >&2
    fi
  done
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# logged LOG DIR COMMAND...: runs the command in DIR in the background, its output in LOG, and waits for it,
# so that a signal reaches the trap at once and the trap can stop the command.
logged() {
  local log=$1 dir=$2 rc=0
  shift 2
  (cd "$dir" && exec "$@") >"$log" 2>&1 &
  child=$!
  wait "$child" || rc=$?
  child=
  return "$rc"
}

{
  for side in before after; do
    echo "$side: ${name[$side]} = $(git log -1 --format='%h %s' "${sha[$side]}" | cut -c1-100)"
  done
  echo "runs: $runs alternated (before, after, ...), each its own JVM: EndToEndBenchmark quick ${harness[*]}"
} | tee "$logs/summary.txt"
echo "logs: $logs"

declare -A cp
for side in before after; do
  echo "building $side ($(short "${sha[$side]}")) ..."
  git -C "$repo" worktree add --detach --quiet "$tmp/$side" "${sha[$side]}"
  if ! logged "$logs/build-$side.log" "$tmp/$side" mvn -o -B -q -DskipTests test-compile dependency:build-classpath \
      -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt; then
    tail -n 20 "$logs/build-$side.log" >&2
    die "the $side revision (${name[$side]}) did not build: $logs/build-$side.log"
  fi
  cp[$side]="$tmp/$side/target/test-classes:$tmp/$side/target/classes:$(cat "$tmp/$side/target/bench-classpath.txt")"
done

# Each revision's scenarios that only= selects, from its own scenario list (EndToEndBenchmark.scenarios).
cat >"$tmp/ListScenarios.java" <<'EOF'
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

public class ListScenarios {
    public static void main(String[] args) throws Exception {
        List<String> options = Arrays.asList(args);
        boolean full = options.contains("full");
        String only = options.stream().filter(a -> a.startsWith("only=")).map(a -> a.substring(5)).findFirst().orElse("");
        int perKey = options.stream().filter(a -> a.startsWith("events-per-key="))
                .map(a -> Integer.parseInt(a.substring(15))).findFirst().orElse(4);
        Method scenarios = Class.forName("io.carrycast.bench.EndToEndBenchmark")
                .getDeclaredMethod("scenarios", boolean.class, int.class);
        scenarios.setAccessible(true);
        Pattern selected = Pattern.compile(only);
        for (Object scenario : (List<?>) scenarios.invoke(null, full, perKey)) {
            Method name = scenario.getClass().getDeclaredMethod("name");
            name.setAccessible(true);
            String n = (String) name.invoke(scenario);
            if (selected.matcher(n).find()) {
                System.out.println(n);
            }
        }
    }
}
EOF
listed=true
for side in before after; do
  if ! (cd "$tmp/$side" && java -cp "${cp[$side]}" "$tmp/ListScenarios.java" "${harness[@]}") \
      >"$tmp/scenarios-$side" 2>"$tmp/list-$side.err"; then
    echo "bench-compare: could not list the $side revision's scenarios ($(head -n 1 "$tmp/list-$side.err"));" \
      "checking the runs' output instead" >&2
    listed=false
  fi
done
missing() { grep -vxF -f "$2" "$1" || true; }  # lines of file 1 that file 2 lacks
if $listed; then
  [[ -s $tmp/scenarios-before || -s $tmp/scenarios-after ]] || die "no scenario of either revision matches only=$only"
  for side in before after; do
    other=$([[ $side == before ]] && echo after || echo before)
    lacks=$(missing "$tmp/scenarios-$other" "$tmp/scenarios-$side")
    [[ -z $lacks ]] || die "the $side revision (${name[$side]}) lacks what only=$only selects in the $other" \
      "revision (${name[$other]}): $(paste -sd, <<<"$lacks" | sed 's/,/, /g')"
  done
  cp "$tmp/scenarios-before" "$tmp/expected"
fi

# The harness's summary table: "| scenario | events/s (median) | runs | ...", one row per scenario.
summary_rows() {
  awk -F' [|] ' '
    /^[|] scenario [|] events\/s \(median\)/ { table = 1; next }
    table && /^[|]---/ { next }
    table && /^[|] / { sub(/^[|] /, "", $1); printf "%s\t%s\n", $1, $2; next }
    table { table = 0 }' "$1"
}

# 1234567 -> 1,234,567
commas='function commas(x,   s) {
  s = sprintf("%.0f", x)
  while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]([,]|$)/, ",&", s)
  return s
}
'
results=$logs/results.tsv
printf 'run\trevision\tscenario\tevents_per_s\n' >"$results"
for (( run = 1; run <= runs; run++ )); do
  for side in before after; do
    log=$logs/run$run-$side.log
    printf 'run %d/%d %s (%s): ' "$run" "$runs" "$side" "$(short "${sha[$side]}")"
    if ! logged "$log" "$tmp/$side" java "${java_opts[@]}" -Djava.io.tmpdir="$tmp" -cp "${cp[$side]}" \
        io.carrycast.bench.EndToEndBenchmark quick "${harness[@]}"; then
      echo "failed"
      grep -vE '^[0-9:.]+ (WARN|INFO)' "$log" | tail -n 20 >&2
      die "run $run of the $side revision (${name[$side]}) failed: $log"
    fi
    summary_rows "$log" >"$tmp/rows"
    if [[ ! -s $tmp/rows ]]; then
      echo "no figures"
      die "run $run of the $side revision (${name[$side]}) printed no summary table: $log"
    fi
    [[ -e $tmp/expected ]] || cut -f1 "$tmp/rows" >"$tmp/expected"
    lacks=$(missing "$tmp/expected" <(cut -f1 "$tmp/rows"))
    if [[ -n $lacks ]]; then
      echo "incomplete"
      die "run $run of the $side revision (${name[$side]}) has no figure for: $(paste -sd, <<<"$lacks" | sed 's/,/, /g')" \
        "(the revision lacks it, or it was skipped): $log"
    fi
    awk -F'\t' -v run="$run" -v side="$side" 'NR == FNR { want[$1] = 1; next }
      ($1 in want) { printf "%s\t%s\t%s\t%s\n", run, side, $1, $2 }' "$tmp/expected" "$tmp/rows" >>"$results"
    awk -F'\t' "$commas"'NR == FNR { want[$1] = 1; next }
      ($1 in want) { printf "%s%s %s events/s", n++ ? ", " : "", $1, commas($2) } END { print "" }' "$tmp/expected" "$tmp/rows"
  done
done

# One row per scenario, in the harness's order.
table() {
  awk -F'\t' -v before="$(short "${sha[before]}")" -v after="$(short "${sha[after]}")" "$commas"'
    function median(list, n,   i, j, t, v) {
      for (i = 1; i <= n; i++) v[i] = list[i]
      for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
      return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    function cells(s, r, n,   i, lo, hi, m, out) {
      lo = hi = rate[s, r, 1]
      for (i = 1; i <= n; i++) {
        out = out (i > 1 ? " / " : "") commas(rate[s, r, i])
        if (rate[s, r, i] < lo) lo = rate[s, r, i]
        if (rate[s, r, i] > hi) hi = rate[s, r, i]
        list[i] = rate[s, r, i]
      }
      m = median(list, n)
      med[r] = m
      return sprintf("%s | %s | %s-%s (%.0f %%)", out, commas(m), commas(lo), commas(hi), 100 * (hi - lo) / m)
    }
    NR == 1 { next }
    !(($3) in seen) { seen[$3] = 1; order[++scenarios] = $3 }
    { rate[$3, $2, $1] = $4 + 0; if ($1 + 0 > runs) runs = $1 + 0 }
    END {
      printf "| scenario | before %s: events/s per run | median | spread | after %s: events/s per run | median | spread |", before, after
      print " after/before, medians | per run |"
      print "|---|---|---|---|---|---|---|---|---|"
      for (k = 1; k <= scenarios; k++) {
        s = order[k]
        b = cells(s, "before", runs)
        a = cells(s, "after", runs)
        per = ""
        for (i = 1; i <= runs; i++) per = per (i > 1 ? ", " : "") sprintf("%.1f %%", 100 * rate[s, "after", i] / rate[s, "before", i])
        printf "| %s | %s | %s | %.1f %% | %s |\n", s, b, a, 100 * med["after"] / med["before"], per
      }
    }' "$results"
}
echo
table | tee "$logs/table.md"
echo
echo "raw output of every run: $logs"
