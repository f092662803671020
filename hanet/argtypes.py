"""Argument types shared by the stage CLIs."""

from __future__ import annotations

import argparse
from typing import Callable


def triple(cast: Callable[[str], float | int], what: str) -> Callable[[str], tuple]:
    """argparse type for 'a,b,c' (e.g. train,val,test counts or fractions)."""

    def parse(text: str) -> tuple:
        try:
            parts = tuple(cast(x) for x in text.split(","))
        except ValueError:
            parts = ()
        if len(parts) != 3:
            raise argparse.ArgumentTypeError(f"expected {what} as three comma-separated numbers, got {text!r}")
        return parts

    return parse
