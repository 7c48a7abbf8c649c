#!/usr/bin/env bash
# Checks the monitoring files (monitoring/carrycast-alerts.yml, monitoring/carrycast-dashboard.json) and the
# docs' live-accuracy PromQL with the real tools, against a running carrycast:
#   1. `promtool check rules` on the alerting rules; the dashboard is JSON;
#   2. `./carrycast broker` and `./carrycast run` (HTTP on, live scoring on) with the bundled weather model;
#      the year 2012 of the bundled weather data is produced with kcat and forecast;
#   3. Debian's `prometheus` starts, scrapes the forecaster every second and loads the rules; every rule
#      evaluates without error; the rules and the dashboard name only metrics the forecaster's /metrics has;
#   4. 2013-2015 is produced; the docs' PromQL (MAE, skill and RMSE over the last hour), evaluated through
#      Prometheus' HTTP API, equals what the forecaster's GET /accuracy says of the same events, for every
#      model, target and step: relative difference at most 1e-6 (TOLERANCE);
#      the forecaster's counters in Prometheus equal /accuracy since start to the same tolerance;
#   5. on those events (years old when replayed) the forecast-lag rule goes pending, and no other rule does.
# Prometheus starts after 2012 is scored, so the last hour's increase() covers exactly 2013-2015; those
# events' MAE is computed from /accuracy's running totals before and after them.
# Run by hand (not part of .ci/run), from anywhere: tools/monitoring-check.sh   (about 2 minutes)
# Needs: prometheus (with promtool), kcat, curl, python3, JDK 17 and Maven; as root it installs the Debian
# packages prometheus, kcat and curl when missing. Exits 1 at the first failed check; stops what it started.
# Settings (environment): CHECK_DIR (work directory, a new temporary one), BROKER_PORT (29192),
# HTTP_PORT (18181), PROMETHEUS_PORT (19090), TOLERANCE (1e-6), CHECK_TIMEOUT (180: the longest one wait).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=${CHECK_DIR:-$(mktemp -d /tmp/carrycast-monitoring-check.XXXXXX)}
broker_port=${BROKER_PORT:-29192}
http_port=${HTTP_PORT:-18181}
prom_port=${PROMETHEUS_PORT:-19090}
tolerance=${TOLERANCE:-1e-6}
patience=${CHECK_TIMEOUT:-180}
rules=$repo/monitoring/carrycast-alerts.yml
dashboard=$repo/monitoring/carrycast-dashboard.json
http=http://127.0.0.1:$http_port
prom=http://127.0.0.1:$prom_port
pids=()

step() { printf '\n== %s\n' "$*"; }
ok() { printf 'ok    %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*" >&2; exit 1; }
stop_all() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null && wait "${pids[i]}" 2>/dev/null || true
  done
}
trap stop_all EXIT
# await DESCRIPTION COMMAND...: retries the command every second until it succeeds or patience runs out.
await() {
  local what=$1; shift
  local deadline=$((SECONDS + patience))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "$what (after ${patience} s; logs in $work)"
    sleep 1
  done
}
metric_sum() { # NAME: the sum of the forecaster's series of NAME in /metrics
  curl -sf "$http/metrics" | awk -v name="$1" '$1 == name || index($1, name "{") == 1 { s += $NF } END { printf "%.0f", s }'
}

step "tools"
missing=()
for tool in prometheus promtool kcat curl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
  ((EUID == 0)) || fail "missing ${missing[*]}: apt-get install -y prometheus kcat curl"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus kcat curl >/dev/null
fi
prometheus_version=$(prometheus --version 2>&1 | head -1)
ok "$prometheus_version; promtool the same; kcat $(kcat -V 2>&1 | sed -n 's/.*Version \([^ ]*\).*/\1/p' | head -1)"
mkdir -p "$work"
ok "work directory $work"

step "1. the files"
promtool check rules "$rules" > "$work/promtool-rules.txt" 2>&1 || { cat "$work/promtool-rules.txt"; fail "promtool check rules $rules"; }
ok "promtool check rules: $(grep -o 'SUCCESS: [0-9]* rules found' "$work/promtool-rules.txt")"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(len(d["panels"]))' "$dashboard" > "$work/panels.txt" \
  || fail "$dashboard is not JSON"
ok "the dashboard is JSON with $(cat "$work/panels.txt") panels"

step "2. a broker and a forecaster with 2012 forecast"
[[ -f $repo/target/carrycast.jar ]] || (cd "$repo" && mvn -B -q -DskipTests package)
(cd "$work" && exec "$repo/carrycast" broker --port "$broker_port" --topics events,forecasts,carrycast-dead-letter \
  --partitions 2 > "$work/broker.log" 2>&1) &
pids+=($!)
await "broker ready" grep -q "Kafka broker ready" "$work/broker.log"
ok "broker at 127.0.0.1:$broker_port"
sed -e "s|^bootstrap.servers=.*|bootstrap.servers=127.0.0.1:$broker_port|" \
    -e "s|^application.id=.*|application.id=monitoring-check|" \
    -e "s|^state.dir=.*|state.dir=$work/state|" \
    -e "s|^carrycast.model.dir=.*|carrycast.model.dir=$repo/config/models/weather-lstm|" \
    "$repo/config/carrycast.properties" > "$work/carrycast.properties"
printf 'carrycast.http.port=%s\ncarrycast.scoring.enabled=true\n' "$http_port" >> "$work/carrycast.properties"
(cd "$work" && exec "$repo/carrycast" run --config "$work/carrycast.properties" > "$work/run.log" 2>&1) &
pids+=($!)
await "forecaster healthy (GET /health)" curl -sf "$http/health"
ok "forecaster healthy at $http"
# key|{json} lines for kcat; 2012 first, the rest later.
python3 - "$repo/src/main/resources/demo/weather.csv" "$work" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
with open(sys.argv[2] + "/events-2012.txt", "w") as first, open(sys.argv[2] + "/events-later.txt", "w") as later:
    for row in rows:
        event = {"date": row["date"], **{f: float(row[f]) for f in ("precipitation", "temp_max", "temp_min", "wind")}}
        (first if row["date"] < "2013" else later).write(row["location"] + "|" + json.dumps(event) + "\n")
PY
first_count=$(wc -l < "$work/events-2012.txt")
total=$((first_count + $(wc -l < "$work/events-later.txt")))
produce() { kcat -b "127.0.0.1:$broker_port" -P -t events -K '|' -X partitioner=murmur2_random -l "$1"; }
forecast_all() { [[ $(metric_sum carrycast_forecasts_out_total) == "$1" ]]; }
produce "$work/events-2012.txt"
await "$first_count forecasts of 2012" forecast_all "$first_count"
# One unusable event, so that the dead-letter counter (made at the first dead letter) exists.
echo 'Seattle|{"date":"2012-12-31","temp_max":"warm"}' > "$work/bad-event.txt"
produce "$work/bad-event.txt"
dead_lettered() { [[ $(metric_sum carrycast_events_dead_lettered_total) == 1 ]]; }
await "the unusable event dead-lettered" dead_lettered
curl -sf "$http/accuracy" > "$work/accuracy-2012.json"
ok "$first_count events of 2012 forecast and scored (/accuracy saved), one unusable event dead-lettered"

step "3. Prometheus scraping the forecaster, with the rules"
sed -e "s|RULES|$rules|" -e "s|TARGET|127.0.0.1:$http_port|" > "$work/prometheus.yml" <<'YML'
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [RULES]
scrape_configs:
  - job_name: carrycast
    static_configs: [{targets: [TARGET]}]
YML
promtool check config "$work/prometheus.yml" > "$work/promtool-config.txt" 2>&1 \
  || { cat "$work/promtool-config.txt"; fail "promtool check config"; }
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" > "$work/prometheus.log" 2>&1 &
pids+=($!)
await "Prometheus ready" curl -sf "$prom/-/ready"
scraped() { curl -sf "$prom/api/v1/query" --data-urlencode 'query=up{job="carrycast"} == 1' | grep -q '"value"'; }
await "Prometheus scraping the forecaster" scraped
ok "Prometheus at $prom scrapes $http/metrics every second"
rules_healthy() {
  curl -sf "$prom/api/v1/rules" | python3 -c '
import json, sys
rules = [r for g in json.load(sys.stdin)["data"]["groups"] for r in g["rules"]]
sys.exit(0 if rules and all(r["health"] == "ok" and not r.get("lastError") for r in rules) else 1)'
}
await "every rule evaluated without error" rules_healthy
curl -sf "$prom/api/v1/rules" | python3 -c '
import json, sys
for g in json.load(sys.stdin)["data"]["groups"]:
    for r in g["rules"]:
        print("ok    rule %s: health %s, state %s" % (r["name"], r["health"], r.get("state", "-")))'

curl -sf "$http/metrics" > "$work/metrics.txt"
curl -sf "$prom/api/v1/rules" > "$work/rules.json"
python3 - "$work/metrics.txt" "$work/rules.json" "$dashboard" <<'PY' || fail "the rules or the dashboard name metrics /metrics lacks"
import json, re, sys
exposed = {line.split("{")[0].split(" ")[0] for line in open(sys.argv[1]) if line.strip() and not line.startswith("#")}
exposed.add("up")  # made by Prometheus for every target
# The rules' queries as Prometheus loaded them; the dashboard's from its "expr" fields.
loaded = json.load(open(sys.argv[2]))["data"]["groups"]
queries = {"carrycast-alerts.yml": "\n".join(r["query"] for g in loaded for r in g["rules"])}
def exprs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expr":
                yield value
            else:
                yield from exprs(value)
    elif isinstance(node, list):
        for value in node:
            yield from exprs(value)
queries[sys.argv[3]] = "\n".join(exprs(json.load(open(sys.argv[3]))))
bad = False
for path, text in queries.items():
    names = set(re.findall(r"\b(?:carrycast|kafka|jvm|process|system)_[a-z0-9_]+", text))
    names |= set(re.findall(r"\bup\b", text))
    unknown = sorted(names - exposed)
    print(("ok    " if not unknown else "FAIL  ") + f"{path.rsplit('/', 1)[-1]}: {len(names)} metric names"
          + (f", not in /metrics: {unknown}" if unknown else ", all in /metrics"))
    bad |= bool(unknown)
sys.exit(1 if bad else 0)
PY

step "4. 2013-2015: the docs' PromQL against /accuracy"
produce "$work/events-later.txt"
await "$total forecasts" forecast_all "$total"
curl -sf "$http/accuracy" > "$work/accuracy-end.json"
all_scraped() {
  local in_prometheus
  in_prometheus=$(curl -sf "$prom/api/v1/query" --data-urlencode 'query=sum(carrycast_forecasts_out_total)' \
    | python3 -c 'import json, sys; print(int(float(json.load(sys.stdin)["data"]["result"][0]["value"][1])))')
  [[ $in_prometheus == "$total" ]]
}
await "Prometheus holding the last counts" all_scraped
sleep 2
ok "$total events forecast; Prometheus has scraped the final counts"
docs=$(cd "$repo" && { grep -l '^# MAE over the last hour' README.md docs/*.md 2>/dev/null || true; } | head -1)
[[ -n $docs ]] || fail "no document holds the live-accuracy PromQL ('# MAE over the last hour')"
python3 - "$repo/$docs" "$prom" "$work/accuracy-2012.json" "$work/accuracy-end.json" "$tolerance" <<'PY' \
  || fail "Prometheus and /accuracy disagree"
import json, math, re, sys, urllib.parse, urllib.request
docs, prom, before_file, after_file, tolerance = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
text = open(docs).read()
block = re.search(r"```promql\n(# MAE over the last hour.*?)```", text, re.S).group(1)
queries = {}
for part in re.split(r"\n(?=# )", block.strip()):
    title, query = part.split("\n", 1)
    queries[title.lstrip("# ").split(" ")[0]] = query
assert set(queries) == {"MAE", "skill", "RMSE"}, queries.keys()
def ask(query):
    url = prom + "/api/v1/query?" + urllib.parse.urlencode({"query": query})
    answer = json.load(urllib.request.urlopen(url))
    assert answer["status"] == "success", answer
    return {(r["metric"]["model"], r["metric"]["version"], r["metric"]["target"], int(r["metric"]["step"])):
            float(r["value"][1]) for r in answer["data"]["result"]}
def rows(path):
    return {(r["model"], r["version"], r["target"], r["step"]): r["since_start"] for r in json.load(open(path))["rows"]}
before, after = rows(before_file), rows(after_file)
expected = {"MAE": {}, "skill": {}, "RMSE": {}, "since start MAE": {}}
for key, end in after.items():
    start = before.get(key, {"n": 0, "mae": 0.0, "rmse": 0.0, "persistence_mae": 0.0})
    n = end["n"] - start["n"]
    total = lambda field: end[field] * end["n"] - (start[field] or 0.0) * start["n"]
    mae, persistence = total("mae") / n, total("persistence_mae") / n
    squared = end["rmse"] ** 2 * end["n"] - (start["rmse"] or 0.0) ** 2 * start["n"]
    expected["MAE"][key], expected["skill"][key] = mae, 1 - mae / persistence
    expected["RMSE"][key], expected["since start MAE"][key] = math.sqrt(squared / n), end["mae"]
measured = {name: ask(query) for name, query in queries.items()}
measured["since start MAE"] = ask("sum by (model, version, target, step) (carrycast_accuracy_abs_error_total)"
                                  " / sum by (model, version, target, step) (carrycast_accuracy_scored_total)")
worst, failed = 0.0, False
for name, values in expected.items():
    if set(values) != set(measured[name]):
        print(f"FAIL  {name}: Prometheus has series {sorted(measured[name])}, /accuracy {sorted(values)}")
        failed = True
        continue
    for key, value in sorted(values.items()):
        difference = abs(measured[name][key] - value) / max(abs(value), 1e-12)
        worst = max(worst, difference)
        print(("ok    " if difference <= tolerance else "FAIL  ")
              + f"{name:15} {key[0]} v{key[1]} {key[2]} step {key[3]}: Prometheus {measured[name][key]:.6f}, "
              + f"/accuracy {value:.6f} (relative difference {difference:.1e})")
        failed |= difference > tolerance
print(f"      largest relative difference {worst:.1e}, tolerance {tolerance:g}; PromQL from {docs.rsplit('/', 1)[-1]}")
sys.exit(1 if failed else 0)
PY

step "5. the rules on the replayed events"
# Events of 2012-2015 are years old when forecast: the lag rule's condition holds, and no other's does
# (1 event in 2923 dead-lettered, the model beats persistence, the stream runs).
rule_states() {
  curl -sf "$prom/api/v1/rules" | python3 -c '
import json, sys
rules = {r["name"]: r.get("state") for g in json.load(sys.stdin)["data"]["groups"] for r in g["rules"]}
expected = {"CarrycastForecastLagHigh": ("pending", "firing"), "CarrycastModelWorseThanPersistence": ("inactive",),
            "CarrycastDeadLetterRateHigh": ("inactive",), "CarrycastStreamNotRunning": ("inactive",)}
sys.exit(0 if all(rules.get(name) in states for name, states in expected.items()) else 1)'
}
await "the lag rule pending and the others inactive" rule_states
curl -sf "$prom/api/v1/rules" | python3 -c '
import json, sys
for g in json.load(sys.stdin)["data"]["groups"]:
    for r in g["rules"]:
        print("ok    rule %s: %s" % (r["name"], r["state"]))'

step "done"
ok "all checks passed on $(date -u +%Y-%m-%d) with $prometheus_version"
