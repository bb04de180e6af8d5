#!/usr/bin/env bash
# The action's install step: sets the step output `bin` to the command that runs wfp-conform.
# With INPUT_PACKAGE (an npm install spec), that package is installed into a folder of its own;
# without, the action's own checkout is installed (`npm ci` builds dist/ through `prepare`).
set -euo pipefail
if [ -n "${INPUT_PACKAGE:-}" ]; then
  prefix="${RUNNER_TEMP:-$(mktemp -d)}/wfp-conformance"
  mkdir -p "$prefix"
  [ -f "$prefix/package.json" ] || echo '{ "private": true }' >"$prefix/package.json"
  npm install --prefix "$prefix" --no-audit --no-fund "$INPUT_PACKAGE" >&2
  bin="$prefix/node_modules/.bin/wfp-conform"
else
  root="${GITHUB_ACTION_PATH:?}"
  (cd "$root" && npm ci --no-audit --no-fund) >&2
  bin="node $root/dist/cli/wfp-conform.js"
fi
$bin --version >&2
echo "bin=$bin" >>"${GITHUB_OUTPUT:?}"
