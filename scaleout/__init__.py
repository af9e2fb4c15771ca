"""Pieces for running several Rasa servers on one shared store (docs/DEPLOY.md)."""
