"""Golden GPT-2 fixture: a tiny GPT-2 in plain PyTorch, its logits, loss and every gradient in float64.

Run by hand (not in CI), from the repository root:
    /usr/bin/python3 scripts/golden/make_gpt2_fixture.py      # needs Debian's python3-torch
Writes test/fixtures/gpt2-tiny-golden.safetensors with
    <HF GPT-2 name>          F32  the parameters (exactly the values the float64 pass used)
    inputs.tokens            I32  [B, T]
    inputs.targets           I32  [B, T]
    expected.logits          F32  [B, T, V]
    expected.loss            F32  [1]   mean cross-entropy over all B*T positions
    expected.grad.<name>     F32  d loss / d parameter, same shape as the parameter
The model is written out here (not taken from transformers) so that it is an independent check:
GPT-2 exactly — token + learned position embeddings, pre-LN blocks, causal multi-head attention
scaled by 1/sqrt(head size), MLP with tanh-GELU, LayerNorm eps 1e-5, final LayerNorm, output head
tied to wte; linear weights [in, out] as HF's Conv1D (y = x @ W + b).
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_writer  # noqa: E402

CONFIG = {"vocabSize": 64, "contextLength": 32, "width": 32, "layers": 2, "heads": 2}
B, T = 2, 7
SEED = 1234
EPS = 1e-5
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures", "gpt2-tiny-golden.safetensors")


def parameter_shapes(cfg):
    """The same names, shapes and order as parameterSpecs in src/model/config.ts."""
    V, Tc, C, L = cfg["vocabSize"], cfg["contextLength"], cfg["width"], cfg["layers"]
    shapes = {"wte.weight": (V, C), "wpe.weight": (Tc, C)}
    for l in range(L):
        p = f"h.{l}."
        shapes.update({
            p + "ln_1.weight": (C,), p + "ln_1.bias": (C,),
            p + "attn.c_attn.weight": (C, 3 * C), p + "attn.c_attn.bias": (3 * C,),
            p + "attn.c_proj.weight": (C, C), p + "attn.c_proj.bias": (C,),
            p + "ln_2.weight": (C,), p + "ln_2.bias": (C,),
            p + "mlp.c_fc.weight": (C, 4 * C), p + "mlp.c_fc.bias": (4 * C,),
            p + "mlp.c_proj.weight": (4 * C, C), p + "mlp.c_proj.bias": (C,),
        })
    shapes.update({"ln_f.weight": (C,), "ln_f.bias": (C,)})
    return shapes


def initial_parameters(cfg, generator):
    """Normal(0, 0.02) matrices; LayerNorm weights 1 + noise; biases small noise, so every parameter shows in the gradient.
    Drawn in float32, so the F32 values saved are exactly the ones the float64 pass uses."""
    params = {}
    for name, shape in parameter_shapes(cfg).items():
        noise = torch.randn(shape, generator=generator, dtype=torch.float32)
        is_layer_norm_weight = name.split(".")[-2].startswith("ln_") and name.endswith(".weight")
        params[name] = 1.0 + 0.1 * noise if is_layer_norm_weight else 0.02 * noise
    return params


def layer_norm(x, w, b):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)  # biased variance, as GPT-2
    return (x - mean) / torch.sqrt(var + EPS) * w + b


def attention(x, p, prefix, heads):
    Bn, Tn, C = x.shape
    hs = C // heads
    qkv = x @ p[prefix + "attn.c_attn.weight"] + p[prefix + "attn.c_attn.bias"]  # [B, T, 3C]
    q, k, v = qkv.split(C, dim=-1)
    q, k, v = (t.view(Bn, Tn, heads, hs).transpose(1, 2) for t in (q, k, v))  # [B, H, T, hs]
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(hs)  # [B, H, T, T]
    causal = torch.ones(Tn, Tn, dtype=torch.bool).tril()
    scores = scores.masked_fill(~causal, float("-inf"))
    y = scores.softmax(-1) @ v  # [B, H, T, hs]
    y = y.transpose(1, 2).reshape(Bn, Tn, C)
    return y @ p[prefix + "attn.c_proj.weight"] + p[prefix + "attn.c_proj.bias"]


def mlp(x, p, prefix):
    h = F.gelu(x @ p[prefix + "mlp.c_fc.weight"] + p[prefix + "mlp.c_fc.bias"], approximate="tanh")
    return h @ p[prefix + "mlp.c_proj.weight"] + p[prefix + "mlp.c_proj.bias"]


def forward(p, tokens, cfg):
    """Logits [B, T, V]."""
    Tn = tokens.shape[1]
    x = p["wte.weight"][tokens] + p["wpe.weight"][:Tn]
    for l in range(cfg["layers"]):
        prefix = f"h.{l}."
        x = x + attention(layer_norm(x, p[prefix + "ln_1.weight"], p[prefix + "ln_1.bias"]), p, prefix, cfg["heads"])
        x = x + mlp(layer_norm(x, p[prefix + "ln_2.weight"], p[prefix + "ln_2.bias"]), p, prefix)
    x = layer_norm(x, p["ln_f.weight"], p["ln_f.bias"])
    return x @ p["wte.weight"].T  # head tied to wte


def loss_and_grads(params32, tokens, targets, dtype):
    p = {name: value.to(dtype).clone().requires_grad_(True) for name, value in params32.items()}
    logits = forward(p, tokens, CONFIG)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))  # mean over B*T
    loss.backward()
    return logits.detach(), loss.detach(), {name: value.grad.detach() for name, value in p.items()}


def main():
    generator = torch.Generator().manual_seed(SEED)
    params = initial_parameters(CONFIG, generator)
    tokens = torch.randint(0, CONFIG["vocabSize"], (B, T), generator=generator)
    targets = torch.randint(0, CONFIG["vocabSize"], (B, T), generator=generator)

    logits64, loss64, grads64 = loss_and_grads(params, tokens, targets, torch.float64)
    logits32, loss32, grads32 = loss_and_grads(params, tokens, targets, torch.float32)

    # The float32 pass from the saved F32 weights must agree with float64 (a check on the script itself).
    logit_error = (logits32.double() - logits64).abs().max().item()
    loss_error = abs(loss32.item() - loss64.item())
    grad_error = max(((grads32[n].double() - grads64[n]).abs().max() / grads64[n].abs().max().clamp_min(1e-30)).item() for n in params)
    print(f"loss (float64) {loss64.item():.9f}; ln(V) = {math.log(CONFIG['vocabSize']):.9f}")
    print(f"float32 vs float64: max |logit diff| {logit_error:.2e}, |loss diff| {loss_error:.2e}, max relative grad diff {grad_error:.2e}")
    assert logit_error < 1e-5 and loss_error < 1e-5, "float32 forward disagrees with float64"
    assert grad_error < 1e-3, "float32 gradients disagree with float64"
    for name, grad in grads64.items():
        assert grad.abs().max().item() > 0, f"parameter {name} has an all-zero gradient"

    tensors = {name: ("F32", value.numpy()) for name, value in params.items()}
    tensors["inputs.tokens"] = ("I32", tokens.to(torch.int32).numpy())
    tensors["inputs.targets"] = ("I32", targets.to(torch.int32).numpy())
    tensors["expected.logits"] = ("F32", logits64.numpy().astype(np.float32))
    tensors["expected.loss"] = ("F32", np.array([loss64.item()], dtype=np.float32))
    for name, grad in grads64.items():
        tensors["expected.grad." + name] = ("F32", grad.numpy().astype(np.float32))
    metadata = {
        "config": json.dumps(CONFIG, separators=(",", ":")),
        "batch": str(B),
        "sequence": str(T),
        "seed": str(SEED),
        "loss_float64": repr(loss64.item()),
        "generator": "scripts/golden/make_gpt2_fixture.py (plain PyTorch GPT-2, float64)",
        "torch": torch.__version__,
    }
    data = st_writer.encode(tensors, metadata)
    with open(OUT, "wb") as f:
        f.write(data)
    print(f"wrote {os.path.relpath(OUT)} ({len(data)} bytes, {len(tensors)} tensors)")


if __name__ == "__main__":
    main()
