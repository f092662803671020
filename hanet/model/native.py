"""Fused CPU kernels for evaluation scoring (``native_kernels.c``), built on first use.

After its matrix product, a scoring block makes about ten elementwise passes in PyTorch
(clamp, norm, exp2, the Gram quadratic form, the sums). ``attention_block`` does them in
one pass over each video's rows, in registers; ``sum_of_minima`` does the same for the
soft-Jaccard concept score. Both follow the PyTorch path's formulas (``matching.py``,
``scores.py``) and are checked against it and the loop oracles in ``tests``.

The C file is compiled once per machine with the system compiler (``$CC``, else ``cc``,
with ``FLAGS``) into ``$XDG_CACHE_HOME/hanet`` (default ``~/.cache/hanet``), named by a
hash of the source, compiler and CPU, and loaded with ctypes (calls release the GIL, so
scoring workers run them in parallel). Callers take the kernels when ``usable`` says so;
without a compiler, or with ``HANET_NATIVE=0``, scoring uses the PyTorch path and the
reason is logged once.
"""
from __future__ import annotations

import ctypes
import functools
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

import torch
from torch import Tensor

SOURCE = Path(__file__).with_name("native_kernels.c")
FLAGS = ["-O3", "-march=native", "-fno-math-errno", "-shared", "-fPIC"]
log = logging.getLogger(__name__)


def enabled() -> bool:
    """True when the kernels are switched on (``HANET_NATIVE`` unset or not 0) and built."""
    return os.environ.get("HANET_NATIVE", "1") != "0" and _library() is not None


def _cpu_float32(*xs: Tensor) -> bool:
    return all(x.device.type == "cpu" and x.dtype == torch.float32 for x in xs)


def usable(*xs: Tensor) -> bool:
    """True when the kernels can serve these inputs: float32 CPU tensors, kernels enabled.
    (Scoring calls them without autograd only; the caller decides that.)"""
    return _cpu_float32(*xs) and enabled()


def _cpu_id() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            return next((line for line in fh if line.startswith(("flags", "Features"))), "")
    except OSError:
        return platform.processor()


@functools.lru_cache(maxsize=None)
def _library() -> ctypes.CDLL | None:
    compiler = shutil.which(os.environ.get("CC", "cc"))
    if compiler is None:
        log.warning("no C compiler (cc): evaluation scoring uses the slower PyTorch path")
        return None
    source = SOURCE.read_bytes()
    key = hashlib.sha256(source + compiler.encode() + platform.machine().encode() + _cpu_id().encode())
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hanet"
    target = cache / f"native_kernels_{key.hexdigest()[:16]}.so"
    try:
        if not target.exists():
            cache.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=cache) as tmp:  # build aside, then one atomic rename
                built = Path(tmp) / target.name
                subprocess.run([compiler, *FLAGS, "-o", str(built), str(SOURCE)], check=True, capture_output=True,
                               text=True)
                os.replace(built, target)
        lib = ctypes.CDLL(str(target))
    except (OSError, subprocess.CalledProcessError) as err:
        detail = getattr(err, "stderr", "") or err
        log.warning("could not build %s (%s): evaluation scoring uses the slower PyTorch path", SOURCE.name, detail)
        return None
    i64, f32p = ctypes.c_int64, ctypes.POINTER(ctypes.c_float)
    lib.hanet_attention_block.argtypes = [f32p, f32p, f32p, i64, i64, i64, ctypes.c_float, ctypes.c_int, f32p]
    lib.hanet_attention_block.restype = ctypes.c_int
    lib.hanet_sum_of_minima.argtypes = [f32p, f32p, i64, i64, i64, f32p]
    lib.hanet_sum_of_minima.restype = None
    return lib


def _ptr(x: Tensor):
    return ctypes.cast(x.data_ptr(), ctypes.POINTER(ctypes.c_float))


def _check(*xs: Tensor) -> None:
    if not (_cpu_float32(*xs) and all(x.is_contiguous() for x in xs)):
        raise ValueError("native kernels take contiguous float32 CPU tensors")


def attention_block(sims: Tensor, bias2: Tensor, gram: Tensor, scale: float, exact_shift: bool) -> Tensor:
    """sims (n, Pb, r), bias2 (n, Pb) log2 weight bias (-inf on invalid parts), gram
    (n, Pb, Pb), scale = temperature / ln 2 -> per-phrase scores (n, r)."""
    n, pb, r = sims.shape
    _check(sims, bias2, gram)
    out = sims.new_empty(n, r)
    if _library().hanet_attention_block(_ptr(sims), _ptr(bias2), _ptr(gram), n, pb, r, scale, int(exact_shift),
                                        _ptr(out)):
        raise MemoryError("hanet_attention_block: out of memory")
    return out


def sum_of_minima(p: Tensor, q: Tensor) -> Tensor:
    """sum_c min(p_ic, q_jc): p (Nv, C), q (Nt, C) -> (Nv, Nt)."""
    _check(p, q)
    out = p.new_empty(p.shape[0], q.shape[0])
    _library().hanet_sum_of_minima(_ptr(p), _ptr(q), p.shape[0], q.shape[0], p.shape[1], _ptr(out))
    return out
