"""Exact numpy ops of a convnet: shapes, checks, sliding windows, step frames, kernels, formulas, exercises."""
