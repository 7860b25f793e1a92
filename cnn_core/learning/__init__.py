"""Learning: models, the one training path, evaluation, the summary, and looking inside trained models."""
