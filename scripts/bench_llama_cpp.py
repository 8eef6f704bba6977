"""Reference speed of llama.cpp (llama-cpp-python, built from source by
scripts/install-llama-cpp.sh) on the same GGUF files and the same measurement
as `arena bench gen`: a 64-token prompt, then 64 greedy tokens one at a time,
2 threads.

    python3 scripts/bench_llama_cpp.py MODEL_DIR [RUNS] [MODEL ...]

prints a table of medians over RUNS. With --raw, prints one line per run,
"MODEL PROMPT_TOK_S GEN_TOK_S", for `arena bench gen --llama-cpp`, which
alternates this script with its own runs.
"""
import os
import statistics
import sys
import time

import llama_cpp_amx  # noqa: F401  (before any model loads)
from llama_cpp import Llama

MODELS = {
    "smollm2-135m": "SmolLM2-135M-Instruct.Q4_1.gguf",
    "gemma3-270m": "gemma-3-270m-q4_k_m.gguf",
}
TEXT = ("The arena opens at dawn. Agents read the prompt, think, and answer; "
        "the judge compares every pair of answers and the best one wins the round. ")


def measure(llm, prompt, gen_tokens):
    llm.reset()
    start = time.perf_counter()
    llm.eval(prompt)
    prompt_secs = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(gen_tokens):
        logits = llm.scores[llm.n_tokens - 1]
        llm.eval([int(logits.argmax())])
    gen_secs = time.perf_counter() - start
    return len(prompt) / prompt_secs, gen_tokens / gen_secs


def main(args):
    raw = "--raw" in args
    args = [a for a in args if a != "--raw"]
    model_dir = args[0]
    runs = int(args[1]) if len(args) > 1 else 5
    names = args[2:] or list(MODELS)
    if not raw:
        print("| model | threads | prompt tok/s (median) | generation tok/s (median) | runs |")
        print("|---|---|---|---|---|")
    for name in names:
        llm = Llama(model_path=os.path.join(model_dir, MODELS[name]), n_ctx=256, n_threads=2,
                    n_threads_batch=2, logits_all=True, verbose=False)
        ids = llm.tokenize(TEXT.encode(), add_bos=False)
        prompt = (llm.tokenize(b"", add_bos=True) + ids * 8)[:64]
        results = [measure(llm, prompt, 64) for _ in range(runs)]
        if raw:
            for p, g in results:
                print(f"{name} {p:.2f} {g:.2f}", flush=True)
            continue
        p = statistics.median(r[0] for r in results)
        g = statistics.median(r[1] for r in results)
        print(f"| {name} (llama.cpp) | 2 | {p:.1f} | {g:.1f} | {runs} |")


if __name__ == "__main__":
    main(sys.argv[1:])
