#!/usr/bin/env bash
# seeds.sh SYMKL OUT — seed corpora for the fuzz harnesses, every file written by
# symkl itself: OUT/csv (generated data, samples), OUT/json (config.json of runs),
# OUT/safetensors and OUT/loaders (flow and EBM checkpoints, F64 and flow proxy; loaders: a
# posterior too).
set -euo pipefail
symkl=$1 out=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -rf "$out" && mkdir -p "$out"/{csv,json,safetensors,loaders}

small=(--steps 4 --log-every 2 --n-train 20 --n-test 50 --n-eval 50 --batch 16 --samples 16
       --layers 2 --hidden 4 --depth 1 --quiet --no-figures)
"$symkl" train --method jeffreys --proxy ebm --ebm-hidden 4 --ebm-depth 1 "${small[@]}" --out "$tmp/ebm" >/dev/null
"$symkl" train --method jeffreys --proxy flow --proxy-layers 2 --proxy-hidden 3 --proxy-depth 2 --proxy-act tanh \
  --data moons --scale exp "${small[@]}" --out "$tmp/flow" >/dev/null
"$symkl" sbi train --task two_moons --budget 64 --max-epochs 1 --layers 2 --hidden 4 \
  --out "$tmp/post" >/dev/null 2>"$tmp/post.log" || { cat "$tmp/post.log" >&2; exit 1; }
"$symkl" generate --data moons --n 12 --seed 1 --out "$out/csv/moons.csv" >/dev/null
"$symkl" sample --model "$tmp/ebm/model.safetensors" --n 5 --out "$out/csv/samples.csv" >/dev/null 2>&1
cp "$tmp/ebm/metrics.csv" "$out/csv/metrics.csv"
cp "$tmp/ebm/config.json" "$out/json/config-ebm.json"
cp "$tmp/flow/config.json" "$out/json/config-flow.json"
for d in safetensors loaders; do
  cp "$tmp/ebm/model.safetensors" "$out/$d/flow.safetensors"
  cp "$tmp/ebm/proxy.safetensors" "$out/$d/ebm.safetensors"
  cp "$tmp/flow/proxy.safetensors" "$out/$d/flow-proxy.safetensors"
done
cp "$tmp/post/model.safetensors" "$out/loaders/posterior.safetensors"
echo "fuzz seeds in $out: $(find "$out" -type f | wc -l) files"
