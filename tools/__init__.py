"""Developer tools for the project (not imported by the app)."""
