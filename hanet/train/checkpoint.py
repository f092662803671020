"""Reading checkpoints safely: ``torch.load(weights_only=True)`` with one-line errors.

A file that holds anything but tensors and plain values (a pickle that would run code) is
refused, never executed; a truncated or corrupt file is named with what to do about it.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import torch

from hanet.errors import HanetError


def load_tensors(path: Path, hint: str = "") -> object:
    """The object stored at ``path`` (CPU tensors, plain containers and values)."""
    if not path.is_file():
        raise HanetError(f"{path}: file not found")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise HanetError(f"{path}: refused: not a plain-tensor checkpoint ({str(err).splitlines()[0][:200]})") from None
    except (RuntimeError, EOFError, OSError, ValueError) as err:
        reason = str(err).splitlines()[0][:200]
        raise HanetError(f"{path}: unreadable or truncated checkpoint ({reason}){hint}") from None
