"""HANet model package: config, inputs, encoders, matching, scores, losses, retrieval scoring."""
from .config import ModelConfig
from .embeddings import TextEmbedding, VideoEmbedding
from .hanet import HANet
from .inputs import ConceptTargets, TextInput, VideoInput
from .retrieval import score_matrix

__all__ = ["ModelConfig", "HANet", "VideoInput", "TextInput", "ConceptTargets", "VideoEmbedding",
           "TextEmbedding", "score_matrix"]
