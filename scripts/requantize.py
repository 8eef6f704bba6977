#!/usr/bin/env python3
"""A re-quantized copy of a GGUF model, for `arena bench detection --copy`:
every quantized matrix is dequantized and quantized again to TYPE (Q4_0,
Q4_1, Q5_0, Q5_1 or Q8_0); metadata and f32/f16 tensors are kept as they
are. It is what an operator would run to pass a cheaper or altered model
off as the original.

    pip install gguf==0.19.0
    python3 scripts/requantize.py IN.gguf OUT.gguf TYPE
"""

import sys

import numpy as np
from gguf import GGMLQuantizationType as Q
from gguf import GGUFReader, GGUFValueType, GGUFWriter, quants

TARGETS = {"Q4_0": Q.Q4_0, "Q4_1": Q.Q4_1, "Q5_0": Q.Q5_0, "Q5_1": Q.Q5_1, "Q8_0": Q.Q8_0}
KEPT = {Q.F32, Q.F16, Q.BF16}


def field_value(field):
    """The value of a metadata field, as GGUFWriter.add_key_value takes it."""
    kind = field.types[0]
    if kind == GGUFValueType.ARRAY:
        return [field.contents(i) for i in range(len(field.data))], field.types[-1]
    return field.contents(), None


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in TARGETS:
        sys.exit(f"usage: {sys.argv[0]} IN.gguf OUT.gguf {{{','.join(TARGETS)}}}")
    source, out, target = sys.argv[1], sys.argv[2], TARGETS[sys.argv[3]]
    reader = GGUFReader(source)
    arch = reader.get_field("general.architecture").contents()
    writer = GGUFWriter(out, arch)
    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name in ("general.architecture", "general.alignment"):
            continue
        value, sub_type = field_value(field)
        writer.add_key_value(field.name, value, field.types[0], sub_type=sub_type)
    changed = 0
    for tensor in reader.tensors:
        data, kind = tensor.data, tensor.tensor_type
        block = quants.GGML_QUANT_SIZES[target][0]
        if kind not in KEPT and kind != target and tensor.shape[0] % block == 0:
            rows = quants.dequantize(data, kind).astype(np.float32)
            data, kind = quants.quantize(rows, target), target
            changed += 1
        writer.add_tensor(tensor.name, data, raw_dtype=kind)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(f"{out}: {changed} of {len(reader.tensors)} tensors re-quantized to {sys.argv[3]}")


if __name__ == "__main__":
    main()
