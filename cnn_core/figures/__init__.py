"""Plotly figures: plain functions that take arrays (and their styles) and return a figure."""
