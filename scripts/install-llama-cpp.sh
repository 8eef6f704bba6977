#!/usr/bin/env bash
# Installs llama-cpp-python 0.3.36 with its OpenAI-compatible server
# (`python3 -m llama_cpp.server`), pinned: the tests of the HTTP backend
# (agents/tests/remote.rs, judge/tests/remote_judge.rs, tests/remote_agent.rs)
# start it on loopback, and the benchmarks use it as the llama.cpp reference.
# It is compiled from source on this machine (PyPI has no wheel), so it uses
# the machine's CPU features; only the library is built (no examples, tests,
# tools or server binaries of llama.cpp itself): 23 minutes on 2 cores that
# were busy with other builds (see BENCHMARKS.md), less on a quiet machine.
# Idempotent: does nothing when the pinned
# version and the server's packages are already there, and never rebuilds
# an installed llama-cpp-python just to add the server's packages.
set -euo pipefail
VERSION="0.3.36"
PIP=${ARENA_PIP:-python3 -m pip}

installed() {
  python3 -c "import llama_cpp, sys; sys.exit(llama_cpp.__version__ != '$VERSION')" 2>/dev/null
}
server_ready() {
  python3 -c "import llama_cpp.server.app, fastapi, uvicorn, sse_starlette, starlette_context, pydantic_settings" 2>/dev/null
}

if installed && server_ready; then
  echo "install-llama-cpp: llama-cpp-python $VERSION with its server already installed"
  exit 0
fi
if ! installed; then
  export CMAKE_ARGS="${CMAKE_ARGS:-} -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF"
  export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
fi
# With the pinned version installed, pip only adds the server's packages.
$PIP install --no-binary llama-cpp-python "llama-cpp-python[server]==$VERSION"
installed && server_ready || { echo "install-llama-cpp: llama-cpp-python $VERSION or its server did not install" >&2; exit 1; }
python3 -c "import llama_cpp; print('llama-cpp-python', llama_cpp.__version__, 'with its server')"
