"""A small safetensors writer for the golden scripts, independent of gemstone's TypeScript one.

It follows the reference implementation's layout rules (huggingface/safetensors, `prepare` in
tensor.rs): tensors sorted by descending dtype alignment, then by name; compact JSON with
"__metadata__" first and each entry's keys in the order dtype, shape, data_offsets; the header
padded with spaces to a multiple of 8 bytes. So the same tensors give the same bytes as
gemstone's encodeSafetensors, which test/checkpoint.test.ts checks.
"""
import json
import struct

import numpy as np

# Increasing alignment, as the reference's Dtype enum.
DTYPE_ORDER = ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]
NUMPY_DTYPE = {
    "BOOL": np.uint8, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "U16": np.uint16,
    "F16": np.float16, "BF16": np.uint16,  # BF16 is given as raw uint16 bits
    "I32": np.int32, "U32": np.uint32, "F32": np.float32, "F64": np.float64, "I64": np.int64, "U64": np.uint64,
}


def encode(tensors, metadata=None):
    """tensors: {name: (dtype, numpy array)}; returns the file's bytes."""
    entries = []
    for name, (dtype, array) in tensors.items():
        array = np.asarray(array, dtype=np.dtype(NUMPY_DTYPE[dtype]).newbyteorder("<"))
        entries.append((name, dtype, list(array.shape), array.tobytes(order="C")))
    entries.sort(key=lambda e: (-DTYPE_ORDER.index(e[1]), e[0]))
    header = {}
    if metadata is not None:
        assert all(isinstance(v, str) for v in metadata.values())
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape, data in entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(e[3] for e in entries)
