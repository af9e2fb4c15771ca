"""Offline evaluation of the assistant's understanding (`make eval`)."""
