"""Produces the llama.cpp reference data used by the agents tests.

Run with llama-cpp-python 0.3.36 built from source
(`pip install --no-binary llama-cpp-python llama-cpp-python==0.3.36`) and the
two models fetched by `arena models fetch`:

    python3 agents/tests/data/make_llama_cpp_reference.py MODEL_DIR

It writes `llama_cpp_reference.json`: token ids of a few strings (tokenized
with special tokens parsed, no BOS) and, for each model, the top-10 logits
after a short prompt (BOS included when the model adds one).
"""
import json
import os
import sys

from llama_cpp import Llama

MODELS = {
    "smollm2-135m": "SmolLM2-135M-Instruct.Q4_1.gguf",
    "gemma3-270m": "gemma-3-270m-q4_k_m.gguf",
}
STRINGS = [
    "Hello, world!",
    "digits 1234567890 and 3.14159",
    "unicode: naïve café, Größe, 日本語",
    "emoji 🎉🚀 and 👨‍👩‍👧",
    "runs    of     spaces\tand\ttabs",
    "newlines\n\nand\r\nCRLF",
    "<|im_start|>user\nhi<|im_end|>",
    "<start_of_turn>user\nhi<end_of_turn>",
]
LOGIT_PROMPT = "The capital of France is"


def main(model_dir):
    out = {"strings": STRINGS, "logit_prompt": LOGIT_PROMPT, "models": {}}
    for name, file in MODELS.items():
        path = os.path.join(model_dir, file)
        vocab = Llama(model_path=path, vocab_only=True, verbose=False)
        ids = [vocab.tokenize(s.encode(), add_bos=False, special=True) for s in STRINGS]
        llm = Llama(model_path=path, n_ctx=64, n_threads=2, logits_all=True, verbose=False)
        prompt = llm.tokenize(LOGIT_PROMPT.encode(), add_bos=True, special=True)
        llm.eval(prompt)
        logits = llm.scores[len(prompt) - 1]
        top = sorted(range(len(logits)), key=lambda i: -logits[i])[:10]
        out["models"][name] = {
            "token_ids": ids,
            "prompt_ids": prompt,
            "top_ids": top,
            "top_logits": [float(logits[i]) for i in top],
        }
    with open(os.path.join(os.path.dirname(__file__), "llama_cpp_reference.json"), "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
