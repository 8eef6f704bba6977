"""Keeps llama-cpp-python 0.3.36 off its AMX weight buffers on CPUs with AMX.

On a CPU with Intel AMX (Sapphire Rapids and later; `amx_int8` in
/proc/cpuinfo), the build from scripts/install-llama-cpp.sh crashes with a
segmentation fault in `llama_decode` on the first prompt longer than a few
tokens (for example any chat prompt of SmolLM2), because its "extra" buffer
types put the weights in AMX tiles. Loading with `use_extra_bufts = False`
keeps them in plain CPU buffers and runs. Machines without AMX keep the
default, so the llama.cpp reference of the benchmarks is unchanged there.

Import this module before creating any `llama_cpp.Llama`.
"""
import llama_cpp.llama_cpp as _low_level


def _has_amx():
    try:
        with open("/proc/cpuinfo") as info:
            return any(
                line.startswith("flags") and " amx_int8" in line for line in info
            )
    except OSError:
        return False


if _has_amx():
    _default_params = _low_level.llama_model_default_params

    def _params_without_extra_buffers():
        params = _default_params()
        params.use_extra_bufts = False
        return params

    _low_level.llama_model_default_params = _params_without_extra_buffers
