"""The Faust stream processors: indicators and alerts computed from the input topics."""
