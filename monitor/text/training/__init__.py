"""Reproducible training of the shipped text models (needs the `train` extra: scikit-learn)."""
