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

# gRPC reflection v1 messages (grpcio-reflection serves only v1alpha); runyard's
# server answers v1 with them beside v1alpha (runyard.api.reflection_v1).
out=src/runyard/gen
rm -rf "$out"
mkdir -p "$out"
"$PY" -m grpc_tools.protoc -I third_party \
  --python_out="$out" --pyi_out="$out" \
  third_party/grpc/reflection/v1/reflection.proto
find "$out" -type d -exec sh -c 'printf "" > "$1/__init__.py"' _ {} \;
printf '"""Generated from third_party/grpc by `make gen`; do not edit."""\n' > "$out/__init__.py"

# TypeScript messages and services for clients/typescript (protoc-gen-es pinned in
# its package-lock.json; `make gen` runs npm ci first when node_modules is missing).
ts=clients/typescript
if [ ! -x "$ts/node_modules/.bin/protoc-gen-es" ]; then
  echo "missing $ts/node_modules: run make gen (it runs npm ci there)" >&2
  exit 1
fi
rm -rf "$ts/src/gen"
"${BUF:-.venv/bin/buf}" generate --template "$ts/buf.gen.yaml" --include-imports \
  --path protos/runyard --path third_party/google/rpc --path third_party/grpc/health
