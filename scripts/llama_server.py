"""llama-cpp-python's OpenAI-compatible server (`python3 -m llama_cpp.server`),
with the AMX workaround of scripts/llama_cpp_amx.py. Takes the server's own
arguments:

    python3 scripts/llama_server.py --model FILE.gguf --port 8080 ...
"""
import os
import runpy
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llama_cpp_amx  # noqa: E402,F401  (patches model loading)

runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
