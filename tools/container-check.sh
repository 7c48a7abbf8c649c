#!/usr/bin/env bash
# Builds the carrycast image with podman and runs it for real, printing each check and what it measured:
#   1. the build context holds only pom.xml, src/main and config (.dockerignore);
#   2. docker/Dockerfile builds; the image runs as a non-root user that can write its working directory;
#   3. host: two forecaster containers (host network, each its own HTTP port) share the work of a broker
#      started on the host with `./carrycast broker`; events produced with kcat come back as forecasts;
#      /health, /metrics and /forecasts/{key} answer on each instance; one instance is stopped and the
#      other keeps forecasting with every key's state carried over; the forecasts equal those of
#      `backtest` over the same events, run in the image (writing forecasts.jsonl into /app);
#   4. demo: `demo` runs in the image and writes its report;
#   5. compose: docker/docker-compose.yml runs with podman-compose (broker, topic set-up, two forecasters
#      on the compose network), each forecaster's HTTP endpoint reached through its published port;
#   6. gpu (only when asked): docker/Dockerfile.gpu builds and the image starts; it is not run on a GPU.
# Run by hand (not part of .ci/run), from anywhere:
#   tools/container-check.sh                  # 1-5, about 10 minutes on an idle 2-core machine
#   tools/container-check.sh host compose     # 1, 2 and the named parts (host, demo, compose, gpu)
# It exits 1 at the first failed check and removes the containers and the broker it started. Images are
# kept, so a second run skips the base images and reuses the build's cached layers.
#
# Needs: podman, runc, podman-compose, debootstrap, kcat, curl, python3 with PyYAML, JDK 17 and Maven
# (Debian: apt-get install -y podman runc podman-compose debootstrap kcat curl python3-yaml).
# Base images: where an image the Dockerfiles or the compose file name is missing and no registry is
# reachable, the script builds a local image with that name (BASE_IMAGES=pull pulls the real one):
#   maven:3.9-eclipse-temurin-17, eclipse-temurin:17-jre-jammy: Debian bookworm with OpenJDK 17 (and
#     Debian's Maven 3.8), made with debootstrap, about a minute each;
#   apache/kafka:4.4.0: the same Kafka release's jars (kafka_2.13 and kafka-tools 4.4.0) on the JRE image,
#     with an entry point that turns KAFKA_* variables into broker settings as the real image does;
#   nvidia/cuda:...: (gpu only) plain Debian without CUDA, so the GPU image builds and starts, no more.
#
# Settings (environment): CHECK_DIR (work directory, /tmp/carrycast-container-check), BROKER_PORT (19092),
# HTTP_PORT_A/HTTP_PORT_B (18081/18082), DEBIAN_MIRROR (default: the first one in /etc/apt), BASE_IMAGES,
# CHECK_TIMEOUT (300: the longest any one wait may take).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=${CHECK_DIR:-/tmp/carrycast-container-check}
broker_port=${BROKER_PORT:-19092}
port_a=${HTTP_PORT_A:-18081}
port_b=${HTTP_PORT_B:-18082}
compose_broker=127.0.0.1:29092   # the kafka service's HOST listener in docker/docker-compose.yml
image=carrycast:latest
project=carrycast-check
keys_per_city=6 days_before_stop=60 days_after_stop=30
patience=${CHECK_TIMEOUT:-300}   # seconds any one wait may take (start-up, rebalance, forecasts arriving)
sections=${*:-host demo compose}
for section in $sections; do
  [[ $section =~ ^(host|demo|compose|gpu)$ ]] || { echo "usage: $0 [host] [demo] [compose] [gpu]" >&2; exit 2; }
done

mkdir -p "$work/data" "$work/logs"
# runc with the cgroupfs manager and explicit ulimits: crun cannot set up cgroups on some hosts (containers
# inside containers); these settings work on ordinary hosts too. Used by podman and podman-compose alike.
if [[ -z ${CONTAINERS_CONF:-} ]]; then
  cat > "$work/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
  export CONTAINERS_CONF=$work/containers.conf
fi
cat > "$work/compose.replicas.yml" <<'YML'
# podman-compose 1.0.3 takes the replica count from deploy.replicas and ignores --scale.
services:
  forecaster:
    deploy:
      replicas: 2
YML

started=$SECONDS
measured=()
broker_pid=

step() { printf '\n== %s\n' "$*"; }
ok() { printf 'ok    %s\n' "$*"; }
note() { printf '      %s\n' "$*"; measured+=("$*"); }
fail() { printf 'FAIL  %s\n' "$*" >&2; exit 1; }
# check DESCRIPTION COMMAND...: runs the command quietly; ok with the description, or FAIL with its output.
check() {
  local description=$1 output; shift
  if output=$("$@" 2>&1); then ok "$description"; else printf '%s\n' "$output" >&2; fail "$description"; fi
}
# verify COMMAND...: runs a check that prints what it found; ok with that, or FAIL with its output.
verify() {
  local output
  if output=$("$@" 2>&1); then ok "${output//$'\n'/; }"; else printf '%s\n' "$output" >&2; fail "$*"; fi
}
# await SECONDS DESCRIPTION COMMAND...: until the command succeeds, or FAIL after SECONDS.
await() {
  local limit=$1 description=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "$description (not within $limit s)"
    sleep 1
  done
}
check_py() { python3 "$work/check.py" "$@"; }
port_free() { ! (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
healthy() { for base in "$@"; do [[ $(curl -s -o /dev/null -w '%{http_code}' -m 5 "$base/health") == 200 ]] || return 1; done; }
last_base() { awk '/^FROM/ {base = $2} END {print base}' "$1"; }
megabytes() { echo $(( $(podman image inspect --format '{{.Size}}' "$1") / 1000000 )); }
produce() { kcat -b "$1" -P -t events -K '|' -X partitioner=murmur2_random -l "$2"; }
# has_forecasts BROKER COUNT: at least COUNT committed forecasts; they are left in data/forecasts.tsv.
has_forecasts() {
  kcat -b "$1" -C -t forecasts -o beginning -e -q -f '%k\t%s\n' -X isolation.level=read_committed \
    > "$work/data/forecasts.tsv"
  (( $(wc -l < "$work/data/forecasts.tsv") >= $2 ))
}
compose() {
  podman-compose -p "$project" -f "$repo/docker/docker-compose.yml" -f "$work/compose.replicas.yml" "$@"
}
cleanup() {
  local -
  set +e
  # Each container's output is kept under logs/ for a look after a failed check.
  for name in carrycast-check-a carrycast-check-b $(podman ps -a --format '{{.Names}}' \
      --filter "label=io.podman.compose.project=$project" 2>/dev/null); do
    podman logs "$name" > "$work/logs/container-$name.log" 2>&1 && podman rm -f -t 0 "$name" > /dev/null 2>&1
  done
  command -v podman-compose >/dev/null && compose down -t 0 > "$work/logs/compose-down.log" 2>&1
  podman network rm -f "${project}_default" >/dev/null 2>&1
  if [[ -n $broker_pid ]]; then kill "$broker_pid" 2>/dev/null; wait "$broker_pid" 2>/dev/null; fi
  return 0   # the broker's exit status (143 after SIGTERM) is not the check's
}

cat > "$work/check.py" <<'PY'
"""Event files, and the checks on forecasts, HTTP answers and the compose file."""
import csv, json, sys, urllib.request, urllib.error

def load(path):
    with open(path) as f:
        return json.load(f)

def events(weather_csv, out_dir, keys_per_city, days1, days2):
    keys_per_city, days1, days2 = int(keys_per_city), int(days1), int(days2)
    rows = {}
    with open(weather_csv) as f:
        for row in csv.DictReader(f):
            rows.setdefault(row["location"], []).append(row)
    series = {}
    for city, city_rows in rows.items():
        city_rows.sort(key=lambda r: r["date"])
        for i in range(keys_per_city):
            # Each key replays its city from a different day, so keys differ in state and forecasts.
            series[f"{city.lower().replace(' ', '-')}-{i + 1}"] = city_rows[30 * i:30 * i + days1 + days2]
    fields = ["precipitation", "temp_max", "temp_min", "wind"]
    def event(row):
        return json.dumps({"date": row["date"], **{f: float(row[f]) for f in fields}})
    for phase, (start, end) in {"1": (0, days1), "2": (days1, days1 + days2)}.items():
        with open(f"{out_dir}/events-{phase}.txt", "w") as out:
            for day in range(start, end):
                for key, key_rows in series.items():
                    out.write(f"{key}|{event(key_rows[day])}\n")
    with open(f"{out_dir}/events.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["key", "date"] + fields)
        for day in range(days1 + days2):
            for key, key_rows in series.items():
                writer.writerow([key, key_rows[day]["date"]] + [key_rows[day][f] for f in fields])
    expected = {key: {"1": [days1, key_rows[days1 - 1]["date"]], "2": [days1 + days2, key_rows[-1]["date"]]}
                for key, key_rows in series.items()}
    with open(f"{out_dir}/expected.json", "w") as out:
        json.dump(expected, out)
    print(f"{len(series)} keys, {days1} + {days2} events each")

def topic(tsv, expected_json, phase, last_json):
    """Every event gave exactly one forecast; each key's last one has all its events in its state."""
    expected = load(expected_json)
    per_key = {}
    with open(tsv) as f:
        for line in f:
            key, value = line.rstrip("\n").split("\t", 1)
            per_key.setdefault(key, []).append(json.loads(value))
    problems = []
    for key, want in expected.items():
        count, last_date = want[phase]
        got = per_key.get(key, [])
        if len(got) != count:
            problems.append(f"{key}: {len(got)} forecasts, expected {count}")
            continue
        last = got[-1]
        if last["steps_seen"] != count or last["event_time"] != f"{last_date}T00:00:00Z":
            problems.append(f"{key}: last forecast steps_seen={last['steps_seen']} event_time={last['event_time']},"
                            f" expected {count} and {last_date}")
    extra = set(per_key) - set(expected)
    if extra:
        problems.append(f"forecasts for unexpected keys {sorted(extra)}")
    if problems:
        sys.exit("\n".join(problems))
    with open(last_json, "w") as out:
        json.dump({key: got[-1] for key, got in per_key.items()}, out)
    print(f"{sum(map(len, per_key.values()))} forecasts, {len(per_key)} keys, steps_seen as expected")

def get(url):
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()

def http(last_json, *bases):
    """/health is RUNNING and /forecasts/{key} equals the key's last forecast on the topic, on every instance."""
    last = load(last_json)
    for base in bases:
        status, body = get(f"{base}/health")
        if status != 200 or json.loads(body).get("status") != "RUNNING":
            sys.exit(f"{base}/health answered {status} {body}")
        for key, forecast in last.items():
            status, body = get(f"{base}/forecasts/{key}")
            if status != 200 or json.loads(body) != forecast:
                sys.exit(f"{base}/forecasts/{key} answered {status} {body[:300]}, expected {json.dumps(forecast)[:300]}")
        print(f"{base}: /health RUNNING, /forecasts/{{key}} for {len(last)} keys equal the topic's latest")

def events_in(base):
    """carrycast_events_in_total summed over its labels, from one instance's /metrics."""
    status, body = get(f"{base}/metrics")
    if status != 200:
        sys.exit(f"{base}/metrics answered {status}")
    total = sum(float(line.rsplit(" ", 1)[1]) for line in body.splitlines()
                if line.startswith("carrycast_events_in_total"))
    print(int(total))

def backtest(tsv, jsonl, tolerance):
    """The stream's forecasts equal the backtest's over the same events, value by value."""
    def index(pairs):
        return {(f["key"], f["event_time"]): {(step["step"], target): value for step in f["forecast"]
                                              for target, value in step["values"].items()} for f in pairs}
    with open(tsv) as f:
        stream = index(json.loads(line.split("\t", 1)[1]) for line in f)
    with open(jsonl) as f:
        offline = index(json.loads(line) for line in f if line.strip())
    if stream.keys() != offline.keys():
        sys.exit(f"stream has {len(stream)} forecasts, backtest {len(offline)}; "
                 f"{len(stream.keys() ^ offline.keys())} (key, event_time) pairs differ")
    worst = max(abs(stream[k][v] - offline[k][v]) for k in stream for v in stream[k])
    if worst > float(tolerance):
        sys.exit(f"largest difference {worst:.3g} exceeds {tolerance}")
    print(f"{len(stream)} forecasts equal within {tolerance} (largest difference {worst:.2g})")

def compose_config(rendered):
    """The forecaster's published port, model mount and model directory agree with the image."""
    import yaml
    forecaster = yaml.safe_load(open(rendered))["services"]["forecaster"]
    ports = [str(p) for p in forecaster.get("ports", [])]
    problems = []
    if not any(p.split(":")[-1] == "8080" for p in ports):
        problems.append(f"forecaster publishes no container port 8080: {ports}")
    if any(len(p.split(":")) > 1 and p.split(":")[-2] != "" for p in ports):
        problems.append(f"forecaster publishes a fixed host port, which collides when scaled: {ports}")
    env = forecaster["environment"]
    env = dict(e.split("=", 1) for e in env) if isinstance(env, list) else env
    mounts = [v.split(":")[1] for v in forecaster.get("volumes", [])]
    if not any(env.get("CARRYCAST_MODEL_DIR", "").startswith(m + "/") for m in mounts):
        problems.append(f"CARRYCAST_MODEL_DIR {env.get('CARRYCAST_MODEL_DIR')} is not under a mount {mounts}")
    if "network_mode" in forecaster:
        problems.append("forecaster sets network_mode")
    if forecaster["build"]["dockerfile"] != "docker/Dockerfile":
        problems.append(f"forecaster builds {forecaster['build']['dockerfile']}")
    if problems:
        sys.exit("\n".join(problems))
    print(f"compose file: forecaster publishes {ports}, mounts models at {mounts}, "
          f"CARRYCAST_MODEL_DIR={env['CARRYCAST_MODEL_DIR']}")

def flag_options(run_help):
    """The `podman run` options that take no value, from its --help: cobra prints a type after the others.
    Options missing from --help are taken to have a value: podman hides its older spellings (--net,
    --healthcheck-command), and those take one."""
    import re
    flags = set()
    with open(run_help) as f:
        for line in f:
            m = re.match(r"\s+(?:(-\w), )?(--[\w-]+)( \S+)?  ", line)
            if m and not m.group(3):
                flags.update(o for o in m.group(1, 2) if o)
    return flags

def run_arguments(command, flags):
    """One `podman run` command as (options as {name: [values]}, image, arguments after the image)."""
    args = command.split()[2:]
    options = {}
    i = 0
    while i < len(args) and args[i].startswith("-"):
        name, eq, value = args[i].partition("=")
        if not eq and name not in flags:
            i += 1
            value = args[i] if i < len(args) else None
        options.setdefault(name, []).append(value if (eq or name not in flags) else True)
        i += 1
    return options, (args[i] if i < len(args) else None), args[i + 1:]

def compose_run(dry_run_log, run_help, service, image, port):
    """The podman run that podman-compose makes of SERVICE starts IMAGE and publishes PORT, in any order.

    podman-compose 1.0.3 prints each podman command as its arguments joined by spaces, unquoted, so
    splitting on white space gives them back as long as no argument holds a space (the forecaster's do not;
    a multi-line command of another service ends its line early, which is why services are told apart by
    their label, not by line)."""
    flags = flag_options(run_help)
    with open(dry_run_log) as f:
        runs = [run_arguments(line, flags) for line in f if line.startswith("podman run ")]
    label = f"com.docker.compose.service={service}"
    found = [r for r in runs if label in r[0].get("--label", [])]
    if len(found) != 1:
        sys.exit(f"{len(found)} podman run commands for {service} in {dry_run_log}, expected 1")
    options, got_image, _ = found[0]
    published = options.get("-p", []) + options.get("--publish", [])
    problems = []
    if got_image != image:
        problems.append(f"{service} runs image {got_image}, expected {image}")
    if port not in published:
        problems.append(f"{service} publishes {published}, expected {port}")
    if problems:
        sys.exit("\n".join(problems))
    env = " ".join(e for e in options.get("-e", []) + options.get("--env", []) if e.startswith("CARRYCAST_"))
    others = ", ".join(f"{o} {' '.join(map(str, options[o]))}" for o in ("--restart", "--net") if o in options)
    print(f"podman-compose runs {service} from {got_image}, publishing {' '.join(published)}; {others}; {env}")

if __name__ == "__main__":
    globals()[sys.argv[1].replace("-", "_")](*sys.argv[2:])
PY

# stand_in NAME PACKAGES: a local image named NAME from Debian bookworm's minimal system plus PACKAGES.
stand_in() {
  local name=$1 packages=$2 root=$work/rootfs t0=$SECONDS mirror
  mirror=${DEBIAN_MIRROR:-$( (cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
    2>/dev/null | grep -oE '^(deb|URIs:) +https?://[^ ]+' | grep -v security | awk 'NR == 1 {print $2}') || true)}
  [[ -n $mirror ]] || fail "a Debian mirror for debootstrap (set DEBIAN_MIRROR)"
  rm -rf "$root"
  debootstrap --variant=minbase ${packages:+--include="$packages"} bookworm "$root" "$mirror" \
    > "$work/logs/debootstrap.log" 2>&1 || { tail -20 "$work/logs/debootstrap.log"; fail "debootstrap $packages"; }
  # Certificate authorities the host trusts beyond the usual ones (a TLS-inspecting proxy, a company CA)
  # go into the image's trust stores, so Maven and apt in a build stage reach the network as the host does.
  for cert in /usr/local/share/ca-certificates/*.crt; do
    [[ -f $cert ]] || continue
    if [[ -f $root/etc/ssl/certs/ca-certificates.crt ]]; then cat "$cert" >> "$root/etc/ssl/certs/ca-certificates.crt"; fi
    if [[ -f $root/etc/ssl/certs/java/cacerts ]]; then
      keytool -importcert -noprompt -storepass changeit -keystore "$root/etc/ssl/certs/java/cacerts" \
        -alias "host-$(basename "$cert" .crt)" -file "$cert" >/dev/null
    fi
  done
  tar -C "$root" -cf - . | podman import -q - "localhost/$name" > /dev/null
  rm -rf "$root"
  ok "$name: local image from Debian bookworm${packages:+ with $packages} ($((SECONDS - t0)) s)"
}

# base_image NAME: the image if present, else pulled (BASE_IMAGES=pull) or a local one with that name.
base_image() {
  local name=$1
  if podman image exists "$name"; then ok "$name is present"; return; fi
  if [[ ${BASE_IMAGES:-debootstrap} == pull ]]; then podman pull -q "docker.io/$name" >/dev/null; ok "$name pulled"; return; fi
  case $name in
    maven*) stand_in "$name" openjdk-17-jdk-headless,maven ;;
    eclipse-temurin*) stand_in "$name" openjdk-17-jre-headless ;;
    nvidia/cuda*) stand_in "$name" "" ;;
    apache/kafka*) kafka_stand_in "$name" ;;
    *) fail "no way to make $name here" ;;
  esac
}

# kafka_stand_in NAME: Apache Kafka's own broker and tools (the release NAME's tag names) on the JRE image,
# started as the apache/kafka image starts: KAFKA_* variables become server properties.
kafka_stand_in() {
  local name=$1 version=${1##*:} dir=$work/kafka-image
  rm -rf "$dir" && mkdir -p "$dir/libs" "$dir/bin"
  cp "$repo"/target/lib/*.jar "$dir/libs/"   # carrycast's runtime class path: kafka_2.13 $version and its dependencies
  (cd "$repo" && mvn -B -q dependency:copy -Dartifact="org.apache.kafka:kafka-tools:$version" -DoutputDirectory="$dir/libs") \
    > "$work/logs/kafka-tools.log" 2>&1 || { cat "$work/logs/kafka-tools.log"; fail "kafka-tools $version from Maven Central"; }
  cat > "$dir/bin/run" <<'RUN'
#!/bin/sh
# KAFKA_* variables become broker settings as in the apache/kafka image: prefix dropped, lower case,
# "___" -> "-", "__" -> "_", "_" -> ".".
set -e
props=/tmp/server.properties
env | grep '^KAFKA_' | while IFS='=' read -r name value; do
  echo "$(echo "${name#KAFKA_}" | tr 'A-Z' 'a-z' | sed 's/___/-/g; s/__/@/g; s/_/./g; s/@/_/g')=$value"
done > $props
grep -q '^log.dirs=' $props || echo log.dirs=/tmp/kraft-combined-logs >> $props
cp='/opt/kafka/libs/*'
java -cp "$cp" kafka.tools.StorageTool format --ignore-formatted -c $props \
  -t "${CLUSTER_ID:-$(java -cp "$cp" kafka.tools.StorageTool random-uuid)}"
exec java -cp "$cp" kafka.Kafka $props
RUN
  printf '#!/bin/sh\nexec java -cp "/opt/kafka/libs/*" org.apache.kafka.tools.%s "$@"\n' TopicCommand \
    > "$dir/bin/kafka-topics.sh"
  printf '#!/bin/sh\nexec java -cp "/opt/kafka/libs/*" org.apache.kafka.tools.%s "$@"\n' BrokerApiVersionsCommand \
    > "$dir/bin/kafka-broker-api-versions.sh"
  chmod +x "$dir"/bin/*
  # carrycast's class path brings Logback; keep the broker's console to warnings.
  cat > "$dir/libs/logback.xml" <<'XML'
<configuration>
  <appender name="out" class="ch.qos.logback.core.ConsoleAppender"><encoder><pattern>%d %-5level %logger{36} - %msg%n</pattern></encoder></appender>
  <root level="WARN"><appender-ref ref="out"/></root>
</configuration>
XML
  cat > "$dir/Containerfile" <<FILE
FROM $(last_base "$repo/docker/Dockerfile")
COPY libs /opt/kafka/libs
COPY bin /opt/kafka/bin
ENV JAVA_TOOL_OPTIONS="-Dlogback.configurationFile=/opt/kafka/libs/logback.xml -Xmx512m"
ENTRYPOINT ["/opt/kafka/bin/run"]
FILE
  podman build -q -t "localhost/$name" "$dir" > /dev/null
  ok "$name: local image with Apache Kafka $version's broker and tools on $(last_base "$repo/docker/Dockerfile")"
}

host_check() {
  step "A broker on the host (./carrycast broker) and two forecaster containers (host network)"
  (exec "$repo/carrycast" broker --port "$broker_port" --topics events,forecasts,carrycast-dead-letter \
    --partitions 6 > "$work/logs/broker.log" 2>&1) &
  broker_pid=$!
  await "$patience" "broker ready on 127.0.0.1:$broker_port" grep -q 'Kafka broker ready' "$work/logs/broker.log"
  ok "broker on 127.0.0.1:$broker_port, topics events, forecasts, carrycast-dead-letter (6 partitions)"
  local instance port t0=$SECONDS
  for instance in a b; do
    port=$port_a; [[ $instance == b ]] && port=$port_b
    # Host networking shares one port space, so each instance binds its own HTTP port and advertises
    # 127.0.0.1:port to the other for forwarded /forecasts/{key} queries. Two instances and the broker
    # share this machine's cores, so each runs one stream thread (docs/operations.md, "Scaling out and failover").
    podman run -d --name "carrycast-check-$instance" --network=host \
      -e CARRYCAST_BOOTSTRAP_SERVERS="127.0.0.1:$broker_port" \
      -e CARRYCAST_HTTP_HOST=127.0.0.1 -e CARRYCAST_HTTP_PORT="$port" \
      -e CARRYCAST_NUM_STANDBY_REPLICAS=1 -e CARRYCAST_NUM_STREAM_THREADS=1 \
      -e CARRYCAST_MODEL_DIR=/app/config/models/weather-lstm \
      -v "$repo/config/models:/app/config/models:ro" "$image" > /dev/null
  done
  local a=http://127.0.0.1:$port_a b=http://127.0.0.1:$port_b
  await "$patience" "both instances report RUNNING on /health" healthy "$a" "$b"
  ok "instances a ($a) and b ($b) RUNNING"
  note "host network: two instances RUNNING $((SECONDS - t0)) s after start"

  t0=$SECONDS
  produce "127.0.0.1:$broker_port" "$work/data/events-1.txt"
  await "$patience" "$before forecasts on the topic" has_forecasts "127.0.0.1:$broker_port" "$before"
  note "$before events produced with kcat -> $before forecasts read back (read_committed) in $((SECONDS - t0)) s"
  verify check_py topic "$work/data/forecasts.tsv" "$work/data/expected.json" 1 "$work/data/last.json"
  verify check_py http "$work/data/last.json" "$a" "$b"
  local in_a in_b
  in_a=$(check_py events-in "$a")
  in_b=$(check_py events-in "$b")
  check "both instances took part (/metrics carrycast_events_in_total: a $in_a, b $in_b)" \
    test "$in_a" -gt 0 -a "$in_b" -gt 0

  step "Stop instance a; b keeps forecasting"
  t0=$SECONDS
  podman stop -t 60 carrycast-check-a > /dev/null
  local stop_s=$((SECONDS - t0))
  check "instance a stopped on SIGTERM in $stop_s s" \
    test "$(podman inspect --format '{{.State.Status}}' carrycast-check-a)" = exited
  check "instance a no longer answers on port $port_a" bash -c "! curl -s -o /dev/null -m 5 $a/health"
  produce "127.0.0.1:$broker_port" "$work/data/events-2.txt"
  await "$patience" "$total forecasts on the topic after the stop" has_forecasts "127.0.0.1:$broker_port" "$total"
  note "stop of a took $stop_s s; b forecast all $((total - before)) later events within $((SECONDS - t0)) s of the stop"
  verify check_py topic "$work/data/forecasts.tsv" "$work/data/expected.json" 2 "$work/data/last.json"
  verify check_py http "$work/data/last.json" "$b"

  step "backtest inside the image, over the same events"
  cp "$work/data/forecasts.tsv" "$work/data/stream-forecasts.tsv"
  podman run --rm --network=none -v "$work/data:/data:ro" --entrypoint sh "$image" -c \
    'java -jar /app/carrycast.jar backtest --model config/models/weather-lstm --input /data/events.csv \
       --key-field key --timestamp-field date >&2; echo "backtest exit $?" >&2; cat forecasts.jsonl' \
    > "$work/data/backtest.jsonl" 2> "$work/logs/backtest.log" || true
  check "backtest wrote forecasts.jsonl into /app ($(grep -m1 'forecasts written' "$work/logs/backtest.log"))" \
    grep -q 'forecasts written to forecasts.jsonl' "$work/logs/backtest.log"
  verify check_py backtest "$work/data/stream-forecasts.tsv" "$work/data/backtest.jsonl" 1e-4
}

demo_check() {
  step "demo inside the image"
  local t0=$SECONDS
  podman run --rm --network=none "$image" demo > "$work/logs/demo.log" 2>&1 \
    || { tail -20 "$work/logs/demo.log"; fail "demo in the image"; }
  check "demo in the image wrote its report under /app" grep -q 'Report: /app/reports/demo/report.html' "$work/logs/demo.log"
  note "demo in the image: $((SECONDS - t0)) s; $(grep -m1 'Seattle: model MAE' "$work/logs/demo.log")"
}

compose_check() {
  step "docker/docker-compose.yml with podman-compose"
  # podman-compose 1.0.3 has no `config` command: the file is read with PyYAML, and --dry-run shows the
  # podman commands podman-compose makes of it.
  verify check_py compose-config "$repo/docker/docker-compose.yml"
  podman-compose --dry-run -p "$project" -f "$repo/docker/docker-compose.yml" up -d \
    > "$work/logs/compose-dry-run.log" 2>&1 || { tail -20 "$work/logs/compose-dry-run.log"; fail "podman-compose --dry-run up"; }
  # The forecaster's podman run is read argument by argument: options may come in any order (the compose
  # file gains settings), only the image and its published port matter here.
  podman run --help > "$work/logs/podman-run-help.txt"
  verify check_py compose-run "$work/logs/compose-dry-run.log" "$work/logs/podman-run-help.txt" \
    forecaster "$image" 127.0.0.1::8080
  base_image "$(awk '$1 == "image:" && $2 ~ /kafka/ {print $2; exit}' "$repo/docker/docker-compose.yml")"

  # podman-compose 1.0.3 starts services in order but does not wait for depends_on conditions (healthy,
  # completed): each service is started once the one before it is ready. `up` also starts the running
  # dependencies again, which podman-compose reports as "already in use" and skips.
  local t0=$SECONDS
  compose up -d kafka > "$work/logs/compose-up.log" 2>&1 || true
  await "$patience" "the kafka service answers on $compose_broker" kcat -b "$compose_broker" -L -m 5
  ok "kafka service up, its HOST listener published on $compose_broker"
  compose up -d topic-init >> "$work/logs/compose-up.log" 2>&1 || true
  await "$patience" "topic-init finished" bash -c \
    "[[ \$(podman inspect --format '{{.State.Status}}' ${project}_topic-init_1) == exited ]]"
  check "topic-init created the topics with 12 partitions" bash -c \
    "[[ \$(podman inspect --format '{{.State.ExitCode}}' ${project}_topic-init_1) == 0 ]] && kcat -b $compose_broker -L -t events | grep -q '12 partitions'"
  compose up -d forecaster >> "$work/logs/compose-up.log" 2>&1 || true
  local replica published bases=()
  for replica in 1 2; do
    published=$(podman port "${project}_forecaster_$replica" 8080 2>/dev/null || true)
    [[ -n $published ]] || { tail -30 "$work/logs/compose-up.log"; fail "forecaster replica $replica publishes 8080"; }
    bases+=("http://$published")
  done
  ok "two forecaster replicas; podman port shows their HTTP endpoints at ${bases[*]}"
  await "$patience" "both replicas report RUNNING on /health" healthy "${bases[@]}"
  produce "$compose_broker" "$work/data/events-1.txt"
  await "$patience" "$before forecasts on the compose broker" has_forecasts "$compose_broker" "$before"
  verify check_py topic "$work/data/forecasts.tsv" "$work/data/expected.json" 1 "$work/data/last.json"
  local in_1 in_2
  in_1=$(check_py events-in "${bases[0]}")
  in_2=$(check_py events-in "${bases[1]}")
  check "both replicas took part (events in: $in_1, $in_2), so each answers keys the other owns by forwarding" \
    test "$in_1" -gt 0 -a "$in_2" -gt 0
  verify check_py http "$work/data/last.json" "${bases[@]}"
  note "compose: kafka, topic-init and two forecasters up and $before forecasts checked in $((SECONDS - t0)) s"
}

gpu_check() {
  step "GPU image (docker/Dockerfile.gpu): built and started, not run on a GPU"
  base_image "$(last_base "$repo/docker/Dockerfile.gpu")"
  local t0=$SECONDS
  podman build --network=host -t carrycast:gpu -f "$repo/docker/Dockerfile.gpu" "$repo" > "$work/logs/build-gpu.log" 2>&1 \
    || { tail -30 "$work/logs/build-gpu.log"; fail "podman build -f docker/Dockerfile.gpu"; }
  check "the GPU image starts: $(podman run --rm carrycast:gpu --version 2>&1)" podman run --rm carrycast:gpu --version
  check "it holds ONNX Runtime's GPU build: $(podman run --rm --entrypoint sh carrycast:gpu -c 'ls /app/lib | grep onnxruntime')" \
    podman run --rm --entrypoint sh carrycast:gpu -c 'ls /app/lib | grep -q onnxruntime_gpu'
  note "GPU image build $((SECONDS - t0)) s, $(megabytes carrycast:gpu) MB (on a base without CUDA)"
}

step "Prerequisites"
for tool in podman runc podman-compose debootstrap kcat curl python3 java mvn; do
  command -v "$tool" > /dev/null || fail "$tool is installed (see the comment at the top of this script)"
done
python3 -c 'import yaml' 2>/dev/null || fail "python3 has PyYAML (python3-yaml)"
ok "podman $(podman version --format '{{.Client.Version}}'), podman-compose $(podman-compose version 2>/dev/null | awk '/podman-compose/ {print $NF; exit}'), kcat, debootstrap"
cleanup
trap 'status=$?; cleanup; exit $status' EXIT
for port in "$broker_port" "$port_a" "$port_b" "${compose_broker##*:}"; do
  port_free "$port" || fail "port $port is free (set BROKER_PORT, HTTP_PORT_A, HTTP_PORT_B; ${compose_broker##*:} is the compose file's)"
done

note "machine: $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the start"

step "Base images"
for base in $(awk '/^FROM/ {print $2}' "$repo/docker/Dockerfile"); do base_image "$base"; done

step "Build context (.dockerignore)"
printf 'FROM %s\nCOPY . /context\n' "$(last_base "$repo/docker/Dockerfile")" > "$work/context.Containerfile"
podman build -q -t carrycast-check-context -f "$work/context.Containerfile" "$repo" > /dev/null
context=$(podman run --rm --entrypoint sh carrycast-check-context -c \
  'cd /context && find . -mindepth 1 -maxdepth 2 | sort | tr "\n" " "; du -sk . | cut -f1')
podman rmi -f carrycast-check-context > /dev/null
context_entries=${context% *}
check "the build context holds only pom.xml, src/main and config: $context_entries" \
  test "$context_entries" = "./config ./config/carrycast.properties ./config/models ./pom.xml ./src ./src/main"
note "build context: ${context##* } KiB"

step "Image (docker/Dockerfile)"
check "docker/Dockerfile names no CUDA image, so a CPU build never fetches one" \
  bash -c "! grep -qi '^FROM.*cuda' '$repo/docker/Dockerfile'"
t0=$SECONDS
podman build --network=host -t "$image" -f "$repo/docker/Dockerfile" "$repo" > "$work/logs/build.log" 2>&1 \
  || { tail -30 "$work/logs/build.log"; fail "podman build -f docker/Dockerfile"; }
ok "podman build -f docker/Dockerfile -t $image ."
runtime_base=$(last_base "$repo/docker/Dockerfile")
note "image build $((SECONDS - t0)) s (cached layers are reused); image $(megabytes "$image") MB = $runtime_base $(megabytes "$runtime_base") MB + carrycast $(( $(megabytes "$image") - $(megabytes "$runtime_base") )) MB (of which libraries $(podman run --rm --entrypoint du "$image" -sm /app/lib | cut -f1) MB)"
check "--version answers: $(podman run --rm "$image" --version)" podman run --rm "$image" --version
check "runs as uid 10001 (carrycast), not root" test "$(podman run --rm --entrypoint id "$image" -u)" = 10001
check "the working directory /app is writable; the jar and libraries are not" \
  podman run --rm --entrypoint sh "$image" -c 'cd /app && touch probe && ! touch lib/probe 2>/dev/null'

step "Events"
"$repo/carrycast" --version > "$work/logs/host-build.log" 2>&1 || { cat "$work/logs/host-build.log"; fail "host build"; }
verify check_py events "$repo/src/main/resources/demo/weather.csv" "$work/data" \
  "$keys_per_city" "$days_before_stop" "$days_after_stop"
before=$(wc -l < "$work/data/events-1.txt")
total=$((before + $(wc -l < "$work/data/events-2.txt")))

for section in $sections; do "${section}_check"; done

step "Measured"
printf '      %s\n' "${measured[@]}"
printf '\nAll checks passed in %d s.\n' "$((SECONDS - started))"
