"""Datasets: the embedded synthetic benchmark, video decoding, and preparation of MSR-VTT-style annotations."""
