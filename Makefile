# The README's commands. Each target does all of its own set-up, so on a fresh
# machine `make run` or `make test` is all there is to type.
# Every project command is run as `$(PY) -m <package>` from this folder; the one
# shell script, scripts/find_python.sh, finds Python 3.10 before the venv exists.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
BIN       := $(VENV)/bin
PY        := $(BIN)/python
STAMP     := $(VENV)/.installed
SPACY_DIR := build/spacy
MODEL     := models/assistant.tar.gz
WEBCHAT   := build/web/socket.io.min.js
# The knowledge file: $KNOWLEDGE_FILE if set, else the project's. Only the
# prerequisites below name it: every command reads KNOWLEDGE_FILE itself
# (actions.knowledge.knowledge_path()).
KNOWLEDGE := $(or $(KNOWLEDGE_FILE),knowledge/credentials.yml)
# which knowledge file $(SPACY_DIR) was built from
KNOWLEDGE_USED := $(SPACY_DIR).knowledge-file
export CHROMIUM ?= /usr/bin/chromium
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

export TF_CPP_MIN_LOG_LEVEL ?= 3
export RASA_TELEMETRY_ENABLED ?= false
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1
export PYTHONWARNINGS ?= ignore

TRAIN_INPUTS := config.yml domain.yml $(wildcard data/*.yml)

.PHONY: help install build train web chromium run shell test eval clean lock report review purge forget bench cluster-deps run-cluster FORCE

help:
	@echo "make run    set up, build, train if needed, and serve (web chat on :8080, REST and socket.io on :5005, actions on :5055)"
	@echo "make shell  the same set-up, then talk to the assistant in this terminal"
	@echo "make test   the same set-up, then every test"
	@echo "make eval   measure understanding (held-out, perturbed, 3-fold CV, baseline) -> docs/EVALUATION.md"
	@echo "make report what users asked: unanswered questions, 👎 with comments, unknown credentials -> reports/report.html"
	@echo "make review accept, change or reject the report's suggestions; accepted questions go into data/, kept only if a retrain passes the held-out and truth gate"
	@echo "make purge  delete conversations idle longer than RETENTION_DAYS (default 90) from the tracker store"
	@echo "make forget SENDER=<id>  delete one person's conversation (e.g. SENDER=rest:abc), on request"
	@echo "make run-cluster  the same as run, scaled out: PostgreSQL + Redis + 2 Rasa servers behind nginx on :5005 (docs/DEPLOY.md)"
	@echo "make bench  our bot vs the stock rasa init bot, side by side -> docs/BENCHMARKS.md, docs/latency.png (several minutes)"

# 1. the virtual environment, with exact versions (constraints.txt)
$(STAMP): requirements.txt constraints.txt scripts/find_python.sh
	@PY310="$$(scripts/find_python.sh)" || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
	  rm -rf $(VENV); echo "Creating $(VENV) with $$PY310"; "$$PY310" -m venv $(VENV) || exit 1; \
	fi
	$(PY) -m pip install --quiet --upgrade "pip==24.0"
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	@touch $@

install: $(STAMP)

# 2. the spaCy pipeline, generated from the knowledge file (validated on the way);
#    rebuilt when that file changes, or when KNOWLEDGE_FILE names another one
#    ($(KNOWLEDGE_USED) is rewritten only then; a pipeline built before it
#    existed is taken to come from the file named now). A missing file is
#    reported by actions.patterns, like any other mistake in it.
$(SPACY_DIR)/.built: $(STAMP) $(wildcard $(KNOWLEDGE)) $(KNOWLEDGE_USED) actions/knowledge.py actions/patterns.py
	$(PY) -m actions.patterns $(SPACY_DIR)
	@touch $@

$(KNOWLEDGE_USED): FORCE
	@mkdir -p $(@D); used="$(abspath $(KNOWLEDGE))"; \
	if [ ! -f $@ ] && [ -f $(SPACY_DIR)/.built ]; then echo "$$used" > $@ && touch -r $(SPACY_DIR)/.built $@; \
	elif [ "$$(cat $@ 2>/dev/null)" != "$$used" ]; then echo "$$used" > $@; fi

build: $(SPACY_DIR)/.built

# 3. the model, only when training data or config changed (Rasa fingerprints
#    the graph too, so a retrain reuses every unchanged component)
$(MODEL): $(SPACY_DIR)/.built $(TRAIN_INPUTS)
	$(PY) -m rasa train --fixed-model-name assistant --out models
	@touch $@

train: $(MODEL)

# 4. the web chat page's one vendor file: socket.io's browser client from the npm registry
#    (tarball only, integrity checked); the page itself is web/
$(WEBCHAT): stack/widget.py | $(STAMP)
	$(PY) -m stack.widget --force

web: $(WEBCHAT)

# 5. the browser for the web chat test: Debian's chromium, installed once
#    (Playwright drives it; it never downloads a browser of its own), and a
#    colour emoji font, pinned, so the feedback buttons (👍/👎) render in it
EMOJI_FONT := fonts-noto-color-emoji=2.042-0+deb12u1
chromium:
	@if [ -x "$(CHROMIUM)" ]; then :; else \
	  echo "Installing Debian's chromium for the browser test ..."; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null && \
	  test -x "$(CHROMIUM)" || { echo "error: $(CHROMIUM) is still missing"; exit 1; }; \
	fi
	@if fc-list 2>/dev/null | grep -q "Noto Color Emoji"; then :; else \
	  echo "Installing Debian's $(EMOJI_FONT) for the browser test ..."; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$(EMOJI_FONT)" >/dev/null && \
	  fc-list | grep -q "Noto Color Emoji" || { echo "error: the colour emoji font is still missing"; exit 1; }; \
	fi

# 6. the scale-out cluster's servers (docs/DEPLOY.md): Debian's redis-server and
#    nginx, and PostgreSQL when initdb is nowhere, installed once. If apt-get
#    cannot install them, this warns and tests/test_cluster.py is skipped (saying why).
cluster-deps:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian's$$missing for the cluster ..."; \
	  { $(SUDO) apt-get update -qq && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; } || \
	  echo "warning: could not install$$missing: make run-cluster will not work and tests/test_cluster.py is skipped"; \
	fi

run-cluster: $(MODEL) $(WEBCHAT) cluster-deps
	@$(PY) -m actions.knowledge
	@RASA_MODEL=$(MODEL) $(PY) -m stack.cluster run

run: $(MODEL) $(WEBCHAT)
	@$(PY) -m actions.knowledge
	@RASA_MODEL=$(MODEL) $(PY) -m stack run

shell: $(MODEL)
	@$(PY) -m actions.knowledge
	@RASA_MODEL=$(MODEL) $(PY) -m stack shell

test: $(MODEL) $(WEBCHAT) chromium cluster-deps
	$(PY) -m ruff check .
	$(PY) -m pytest

eval: $(MODEL)
	$(PY) -m evaluation.run

# latency, throughput, start-up, memory and training time against the stock bot
# (`rasa init`, built once in ~/.cache/microcred-bench), both served side by side
bench: $(MODEL)
	$(PY) -m bench.run

# the content owner's report from the tracker store (docs/REPORT.md); DB=<SQLAlchemy URL> reads another store
report: $(STAMP)
	$(PY) -m reporting $(if $(DB),--db "$(DB)")

# the content owner's review of the report's suggestions (docs/REPORT.md#review): accepted questions are
# written into data/, then a full retrain (about a minute) must not lower the
# held-out accuracy by more than half a point nor fail a truth case, else data/ is restored
review: $(MODEL)
	$(PY) -m reporting.review $(if $(DB),--db "$(DB)")

# retention (docs/RELIABILITY.md): delete conversations idle longer than RETENTION_DAYS (default 90),
# or one person's conversation by its stored id (make forget SENDER=rest:abc); DB=<SQLAlchemy URL> as for report
purge: $(STAMP)
	$(PY) -m stack.retention $(if $(DB),--db "$(DB)") purge

forget: $(STAMP)
	@if [ -z "$$SENDER" ]; then echo "usage: make forget SENDER=<conversation id, e.g. rest:abc or web:<session>>" >&2; exit 2; fi
	$(PY) -m stack.retention $(if $(DB),--db "$(DB)") forget "$$SENDER"

lock:
	rm -rf /tmp/microcred-lock && "$$(scripts/find_python.sh)" -m venv /tmp/microcred-lock
	/tmp/microcred-lock/bin/python -m pip install --quiet "pip==24.0"
	/tmp/microcred-lock/bin/python -m pip install --quiet -r requirements.txt
	/tmp/microcred-lock/bin/python -m pip freeze > constraints.txt

clean:
	rm -rf build models results .rasa var/log .pytest_cache

FORCE:
