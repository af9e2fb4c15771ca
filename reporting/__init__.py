"""`make report`: what users asked that the assistant could not answer, which
answers they disliked, and the credentials it doesn't know, read from the
tracker store (see docs/REPORT.md). It only suggests: it never changes
training data or the knowledge file."""
