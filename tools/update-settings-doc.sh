#!/usr/bin/env bash
# Regenerates the settings table in docs/configuration.md from CarrycastConfig's definitions (ReadmeTest checks it).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
gen=$(mktemp -d)/Gen.java
printf 'public class Gen { public static void main(String[] a) { System.out.print(io.carrycast.config.CarrycastConfig.markdownTable()); } }\n' > "$gen"
java -cp "target/classes:$(cat target/classpath.txt)" "$gen" > target/settings-table.md
python3 - <<'PY'
import re
doc = open("docs/configuration.md").read()
table = open("target/settings-table.md").read()
begin, end = "<!-- settings:begin -->\n", "<!-- settings:end -->"
start = doc.index(begin) + len(begin)
doc = doc[:start] + table + doc[doc.index(end):]
open("docs/configuration.md", "w").write(doc)
PY
