"""hanet-bench: a reproducible benchmark and ablation suite for HANet.

HANet: Hierarchical Alignment Networks for Video-Text Retrieval
(Wu et al., ACM MM 2021, arXiv 2107.12059). Public code: github.com/Roc-Ng/HANet.
"""

__version__ = "0.1.0"
