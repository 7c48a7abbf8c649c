#!/usr/bin/env bash
# Regenerates the README's settings table from CarrycastConfig's definitions (ReadmeTest checks it).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
gen=$(mktemp -d)/Gen.java
printf 'public class Gen { public static void main(String[] a) { System.out.print(io.carrycast.config.CarrycastConfig.markdownTable()); } }\n' > "$gen"
java -cp "target/classes:$(cat target/classpath.txt)" "$gen" > target/settings-table.md
python3 - <<'PY'
import re
readme = open("README.md").read()
table = open("target/settings-table.md").read()
begin, end = "<!-- settings:begin -->\n", "<!-- settings:end -->"
start = readme.index(begin) + len(begin)
readme = readme[:start] + table + readme[readme.index(end):]
open("README.md", "w").write(readme)
PY
