"""The trained question router (issue: a router learned from data, not thresholds).

``load_training_data`` gathers the labelled texts, ``Router.trained`` loads or fits the
models for one embedder, ``Router.route`` reads one question.
"""

from rag.router.data import TrainingData, load_training_data
from rag.router.router import Passage, Route, Router, clauses, train

__all__ = ["Passage", "Route", "Router", "TrainingData", "clauses", "load_training_data", "train"]
