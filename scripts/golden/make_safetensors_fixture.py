"""A small safetensors file with every dtype, written by st_writer.py (numpy + torch), for test/checkpoint.test.ts.

Run by hand from the repository root:  /usr/bin/python3 scripts/golden/make_safetensors_fixture.py
Writes test/fixtures/all-dtypes.safetensors. The F16 values are rounded by numpy and the BF16 ones by
PyTorch, from the F32 tensors "f16_source" and "bf16_source" stored beside them, so the test can check
gemstone's own float16/bfloat16 rounding against them. The test also re-encodes the decoded tensors
and expects the same bytes.
(The reference `safetensors` Python package is not packaged for Debian bookworm, so it is not used here.)
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_writer  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures", "all-dtypes.safetensors")

# Awkward values for 16-bit rounding: ties to even, subnormals, overflow, signed zero, infinities.
f32 = np.float32
SOURCE = np.array([
    0.0, -0.0, 1.0, -2.5, 1 / 3, 65504.0, 65520.0, 70000.0, 6.1e-5, 5.96e-8, 2.98e-8, 3e-8, 1e-10,
    1.0 + 2 ** -11, 1.0 + 3 * 2 ** -11, 1.0 + 2 ** -8, 1.0 + 3 * 2 ** -8, 3.14159265, -1e30, 1e38,
    float("inf"), float("-inf"),
], dtype=f32)


def main():
    with np.errstate(over="ignore"):  # 70000 and beyond overflow to inf in float16, as intended
        f16 = SOURCE.astype(np.float16)
    bf16_bits = torch.from_numpy(SOURCE.copy()).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    tensors = {
        "f64": ("F64", np.array([[0.0, -0.0, 1e300], [-1.5, 5e-324, np.pi]], dtype=np.float64)),
        "f32": ("F32", np.array([1.0, -2.0, 3.4028235e38, 1.4e-45], dtype=f32)),
        "f16": ("F16", f16),
        "f16_source": ("F32", SOURCE),
        "bf16": ("BF16", bf16_bits),
        "bf16_source": ("F32", SOURCE),
        "i64": ("I64", np.array([-(2 ** 63), 2 ** 63 - 1, -1, 0, 2 ** 53 + 1], dtype=np.int64)),
        "u64": ("U64", np.array([0, 2 ** 64 - 1, 2 ** 53 + 1], dtype=np.uint64)),
        "i32": ("I32", np.array([[-(2 ** 31), 2 ** 31 - 1], [-1, 7]], dtype=np.int32)),
        "u32": ("U32", np.array([0, 2 ** 32 - 1, 123456789], dtype=np.uint32)),
        "i16": ("I16", np.array([-32768, 32767, -1], dtype=np.int16)),
        "u16": ("U16", np.array([0, 65535, 4660], dtype=np.uint16)),
        "i8": ("I8", np.array([-128, 127, -1], dtype=np.int8)),
        "u8": ("U8", np.array([0, 255, 18, 52, 86], dtype=np.uint8)),
        "bool": ("BOOL", np.array([1, 0, 1], dtype=np.uint8)),
        "scalar": ("F32", np.array(2.5, dtype=f32)),
        "empty": ("F32", np.zeros((0, 3), dtype=f32)),
        "h.0.ln_1.weight": ("F32", np.arange(5, dtype=f32)),
    }
    metadata = {"format": "pt", "note": "every dtype; \"quoted\" text, unicode \u00e9\u2014ok"}
    data = st_writer.encode(tensors, metadata)
    with open(OUT, "wb") as f:
        f.write(data)
    print(f"wrote {os.path.relpath(OUT)} ({len(data)} bytes, {len(tensors)} tensors)")


if __name__ == "__main__":
    main()
