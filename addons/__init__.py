"""Small, measured improvements to Rasa 3.6 that the Rasa server loads
(see docs/BENCHMARKS.md for the figures behind each)."""
