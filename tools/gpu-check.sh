#!/usr/bin/env bash
# GPU check for a lent GPU machine (issue #14): build the addon against the machine's PyTorch,
# and report in one JSON line (last stdout line) what could run. Runs on a CPU-only machine too:
# CUDA absent -> {"cuda": false, ...}, exit 0.
# STATUS: partial. The engine's CUDA device tensors are not implemented yet (src/device.ts fails
# '--device cuda' saying so), so the engine tests on CUDA and the MoCo v2 comparison against
# PyTorch CUDA (ResNet-50/224/b64, ResNet-18 small stem/32/b256) are not run; the JSON says so.
set -u
cd "$(dirname "$0")/.."
json() { printf '%s\n' "$1"; }

# a python with torch: $DILO_PYTHON, python3, /usr/bin/python3
PY=""
for p in "${DILO_PYTHON:-}" python3 /usr/bin/python3; do
  [ -n "$p" ] && "$p" -c 'import torch' 2>/dev/null && { PY="$p"; break; }
done
if [ -z "$PY" ]; then json '{"cuda": false, "reason": "no python with torch found"}'; exit 0; fi
CUDA=$("$PY" -c 'import torch; print("true" if torch.cuda.is_available() else "false")')
TORCH=$("$PY" -c 'import torch; print(torch.__version__)')

if ! command -v node >/dev/null 2>&1; then
  json "{\"cuda\": $CUDA, \"torch\": \"$TORCH\", \"built\": false, \"reason\": \"node not on PATH (carry a Node 20 binary)\"}"
  exit 0
fi
# build against that PyTorch; the install line says which libtorch (path, version, CUDA, ABI)
BUILD_LINE=$(DILO_PYTHON="$PY" node packages/engine-torch/scripts/build.js 2>&1 | tr '\n' ' ' | sed 's/"/\\"/g')
BUILT=false; [ -f packages/engine-torch/build/Release/dilo_torch.node ] && BUILT=true
ENGINE_CUDA=$(node -e 'const f="packages/engine-torch/build/Release/torch-info.json";try{process.stdout.write(String(require("./"+f).cuda))}catch{process.stdout.write("false")}')

if [ "$CUDA" != true ]; then
  json "{\"cuda\": false, \"torch\": \"$TORCH\", \"built\": $BUILT, \"build\": \"$BUILD_LINE\", \"reason\": \"no CUDA device: engine CUDA tests and the MoCo v2 GPU comparison skipped\"}"
  exit 0
fi
json "{\"cuda\": true, \"torch\": \"$TORCH\", \"built\": $BUILT, \"engine_linked_cuda\": $ENGINE_CUDA, \"build\": \"$BUILD_LINE\", \"reason\": \"CUDA device tensors are not implemented in @dilo/engine-torch yet: engine CUDA tests and MoCo v2 img/s comparison not run\"}"
exit 2
