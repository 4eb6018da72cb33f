#!/usr/bin/env bash
# Regenerates every generated file from protos/: Python messages and stubs of
# runyard.v1 (src/runyard/v1), the descriptor set the gateway and Envoy read,
# and the test-only protos (tests/gen). Generated files are never edited by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}

out=src/runyard/v1
rm -rf "$out"
mkdir -p "$out"
"$PY" -m grpc_tools.protoc -I protos -I third_party \
  --python_out=src --pyi_out=src --grpc_python_out=src \
  --include_imports --include_source_info --descriptor_set_out="$out/runyard.binpb" \
  protos/runyard/v1/*.proto
printf '"""Generated from protos/runyard/v1 by `make gen`; do not edit."""\n' > "$out/__init__.py"

if [ -d tests/protos ]; then
  rm -rf tests/gen
  mkdir -p tests/gen
  "$PY" -m grpc_tools.protoc -I tests/protos -I third_party \
    --python_out=tests/gen --pyi_out=tests/gen --grpc_python_out=tests/gen \
    --include_imports --descriptor_set_out=tests/gen/testdata.binpb \
    $(find tests/protos -name '*.proto' | sort)
  find tests/gen -type d -exec sh -c 'printf "" > "$1/__init__.py"' _ {} \;
fi
