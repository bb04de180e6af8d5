#!/usr/bin/env bash
# The action's main step: `wfp-conform run` (or `report merge` of shard reports) with the action's
# inputs, then the Markdown report appended to the job summary. Step outputs: exit-code,
# conformant, report-dir, artifact-name. Never fails itself: the action's last step turns the exit
# code into the job's verdict (after the reports are uploaded).
set -uo pipefail
bin="${WFP_CONFORM_BIN:?the install step sets WFP_CONFORM_BIN}"
out="${INPUT_OUT:-wfp-report}"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
outputs="${GITHUB_OUTPUT:-/dev/null}"
args=()

if [ -n "${INPUT_MERGE:-}" ]; then
  # Unquoted on purpose: the input is a glob of report folders.
  # shellcheck disable=SC2206
  folders=(${INPUT_MERGE})
  if [ ! -e "${folders[0]:-}" ]; then
    echo "wfp-conformance action: merge: nothing matches ${INPUT_MERGE}" >&2
    echo "exit-code=2" >>"$outputs"
    exit 0
  fi
  $bin report merge --force --out "$out" "${folders[@]}" >/dev/null
  code=$?
  artifact="${INPUT_ARTIFACT_NAME:-wfp-report}"
else
  if [ -n "${INPUT_IMPLEMENTATION_COMMAND:-}" ] && [ -n "${INPUT_IMPL:-}" ]; then
    echo "wfp-conformance action: give implementation-command or impl, not both" >&2
    echo "exit-code=2" >>"$outputs"
    exit 0
  fi
  if [ -n "${INPUT_IMPLEMENTATION_COMMAND:-}" ]; then args+=(--impl-cmd "$INPUT_IMPLEMENTATION_COMMAND"); else args+=(--impl "${INPUT_IMPL:-builtin}"); fi
  args+=(--seed "${INPUT_SEED:-1}" --runs "${INPUT_RUNS:-400}" --out "$out" --force --junit "$out/junit.xml")
  [ -n "${INPUT_SHARD:-}" ] && args+=(--shard "$INPUT_SHARD")
  [ -n "${INPUT_EXPECTED_FAILURES:-}" ] && args+=(--expect "$INPUT_EXPECTED_FAILURES")
  [ -n "${INPUT_TIME_LIMIT:-}" ] && args+=(--time-limit "$INPUT_TIME_LIMIT")
  $bin run "${args[@]}" >/dev/null
  code=$?
  artifact="${INPUT_ARTIFACT_NAME:-wfp-report}"
  [ -n "${INPUT_SHARD:-}" ] && artifact="$artifact-${INPUT_SHARD/\//-of-}"
fi

if [ -f "$out/report.md" ]; then
  cat "$out/report.md" >>"$summary"
  echo "report-dir=$out" >>"$outputs"
  conformant=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).conformant === true)' "$out/report.json")
  echo "conformant=$conformant" >>"$outputs"
else
  echo "wfp-conformance: no report was written (exit $code); see the log above." >>"$summary"
  echo "conformant=false" >>"$outputs"
fi
echo "artifact-name=$artifact" >>"$outputs"
echo "exit-code=$code" >>"$outputs"
exit 0
