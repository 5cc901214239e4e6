#!/usr/bin/env bash
# check_readme_demo.sh BIN README [OUTPUT] — run `BIN demo` (or read its OUTPUT, already
# printed) and compare the table it prints with
# the one quoted in README (the fenced block that starts with "symkl demo:"): the line
# "final values ..." and the rows under it, up to the note in parentheses. Any
# difference (a number, a column, a row) is printed as a diff and fails the check.
# `make check-readme-demo` runs it on the default build; .ci/run runs it once.
set -uo pipefail
bin=${1:?usage: check_readme_demo.sh BIN README [OUTPUT]}
readme=${2:?usage: check_readme_demo.sh BIN README [OUTPUT]}
printed=${3:-}

# the table of a demo output: from "final values" to the line before "(nats per point"
table() { awk '/^final values/ { on = 1 } on && /^\(/ { exit } on { print }'; }

want=$(awk '/^```/ { if (blk) { blk = 0; if (found) exit; next } blk = 1; first = 1; next }
            blk && first { first = 0; if ($0 ~ /^symkl demo:/) found = 1 }
            blk && found { print }' "$readme" | table)
if [ -z "$want" ]; then
  echo "check_readme_demo: no demo table in $readme (a fenced block starting with 'symkl demo:')"
  exit 1
fi
if [ -n "$printed" ]; then out=$(cat "$printed")
else out=$("$bin" demo 2>/dev/null) || { echo "check_readme_demo: '$bin demo' failed"; exit 1; }; fi
got=$(table <<<"$out")
if [ "$got" != "$want" ]; then
  echo "check_readme_demo: the demo's table differs from $readme's (- README, + demo):"
  diff <(echo "$want") <(echo "$got")
  exit 1
fi
echo "check_readme_demo: the demo prints $readme's table ($(wc -l <<<"$want") lines)"
