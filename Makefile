# Pretext: the whole flow. `make` builds the book and every program;
# `make check` runs every test; `make bench` runs the benchmarks.
# The appendix "How this book is built" explains this file.
SHELL       := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DELETE_ON_ERROR:
.SECONDARY:
.SUFFIXES:

PROFILE ?= book
SEED    ?= 1
LINES   ?= 0
NOWEB   := /usr/lib/noweb

# ---- The Debian packages the book needs: the one list. ----
PACKAGES := make gcc pkg-config noweb pandoc latexmk texlive-latex-base \
  texlive-latex-recommended lmodern gnuplot-nox libopenblas-openmp-dev liblapacke-dev \
  zlib1g-dev libjansson-dev libpcre2-dev check libsubunit-dev dataset-fashion-mnist bible-kjv \
  fortunes libjs-katex chromium poppler-utils git

# ---- The chapters, in book order (book/chapters.txt). ----
CHAPTERS := $(shell grep -v -e '^\#' -e '^appendix$$' book/chapters.txt)
APPENDIX := $(shell sed -n '/^appendix$$/{n;p;q}' book/chapters.txt)
SLUGS    := $(basename $(notdir $(CHAPTERS)))

# ---- What the tangled tree holds (read after tangling, in the sub-make). ----
LIB_SRC  := $(wildcard generated/src/*.c)
LIB_OBJ  := $(patsubst generated/src/%.c,out/obj/%.o,$(LIB_SRC))
PROGS    := $(patsubst generated/prog/%.c,out/bin/%,$(wildcard generated/prog/*.c))
TOOLS    := $(patsubst generated/tools/%.c,out/tools/%,$(wildcard generated/tools/*.c))
EXPERIMENTS := $(filter-out bench_%,$(notdir $(PROGS)))
BENCHES  := $(filter bench_%,$(notdir $(PROGS)))
RESULTS  := $(EXPERIMENTS:%=out/data/%/results.tsv)
FIGURES  := $(patsubst figures/%.gp,%,$(filter-out figures/render.gp,$(wildcard figures/*.gp)))
FIGFILES := $(FIGURES:%=out/figures/%.pdf) $(FIGURES:%=out/figures/%.svg)
CU_SRC   := $(wildcard generated/cuda/*.cu)
NVCC     := $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)

# OpenMP threads that spin while they wait steal the cores the other
# threads need (chapter 1, "Clocks and threads"): let them sleep.
export OMP_WAIT_POLICY := PASSIVE

# OpenBLAS built on OpenMP, so that it and our loops share one pool of
# threads (chapter 1): its headers, and its library found first at run time
# (RPATH, which also covers the LAPACK that liblapacke loads), whichever
# BLAS Debian's alternatives select.
BLAS_DIR := /usr/lib/$(shell gcc -print-multiarch)/openblas-openmp
BLAS_INC := /usr/include/$(shell gcc -print-multiarch)/openblas-openmp

CC       := gcc
CFLAGS   := -std=c11 -O2 -g -march=x86-64-v2 -Wall -Wextra -Werror -fopenmp -Igenerated/include \
            -I$(BLAS_INC) -MMD -MP
LDLIBS   := -L$(BLAS_DIR) -Wl,--disable-new-dtags,-rpath,$(BLAS_DIR) -llapacke -lopenblas \
            -ljansson -lpcre2-8 -lz -lm
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

VERSION  := $(shell git log -1 --format=%h 2>/dev/null || echo unknown)
EPOCH    := $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

.PHONY: all deps tangle lint programs experiments figures book html pdf check \
        check-run bench clean FORCE
all: deps
	$(MAKE) tangle
	$(MAKE) book

# ---- Set-up: install what is missing, or say exactly what to install. ----
deps:
	@missing=$$(for p in $(PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	    grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing the Debian packages the book needs:" $$missing; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; \
	  else \
	    echo "The book needs Debian packages that are not installed. As root, run:"; \
	    echo "  apt-get install --no-install-recommends" $$missing; \
	    exit 1; \
	  fi; \
	fi

# ---- Rules can depend on a variable through a file holding its value,
# rewritten only when the value changes (PROFILE, SEED, LINES, VERSION). ----
out/stamps/value-%: FORCE
	@mkdir -p $(@D); echo "$($*)" | cmp -s - $@ 2>/dev/null || echo "$($*)" > $@

# ---- Tangle: chapters -> generated/, one stamp a chapter, cpif inside. ----
tangle: $(SLUGS:%=out/stamps/tangle-%) out/stamps/lint
	@bash tangle/prune.sh $(CHAPTERS)
out/stamps/tangle-%: $(CHAPTERS) tangle/tangle.sh tangle/lint.sh tangle/comments.awk out/stamps/value-LINES
	@mkdir -p $(@D)
	bash tangle/tangle.sh chapters/$*.nw $(LINES) $(CHAPTERS)
	@touch $@
lint: out/stamps/lint
out/stamps/lint: $(CHAPTERS) tangle/lint.sh
	@mkdir -p $(@D)
	bash tangle/lint.sh $(CHAPTERS)
	@touch $@

# ---- Compile: the library, the programs, the weave tool. ----
out/obj/%.o: generated/src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@
out/obj/prog/%.o: generated/prog/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@
out/lib/libpt.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
out/bin/%: out/obj/prog/%.o out/lib/libpt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< out/lib/libpt.a $(LDLIBS) -o $@
out/tools/%: generated/tools/%.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror $< -o $@
programs: $(PROGS) $(TOOLS) cuda
.PHONY: cuda
cuda:
ifeq ($(strip $(NVCC)),)
	@echo "nvcc not found: CUDA sources skipped."
else ifeq ($(strip $(CU_SRC)),)
	@echo "nvcc found at $(NVCC); there are no CUDA sources yet."
else
	$(MAKE) out/lib/libptcuda.a
endif
CU_OBJ := $(patsubst generated/cuda/%.cu,out/obj/cuda/%.o,$(CU_SRC))
out/obj/cuda/%.o: generated/cuda/%.cu
	@mkdir -p $(@D)
	$(NVCC) -O2 -Igenerated/include -c $< -o $@
out/lib/libptcuda.a: $(CU_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
-include $(wildcard out/obj/*.d out/obj/prog/*.d)

# ---- Experiments: each program run under a profile writes out/data/NAME. ----
out/data/%/results.tsv: out/bin/% out/stamps/value-PROFILE out/stamps/value-SEED
	out/bin/$* --profile $(PROFILE) --seed $(SEED) --out out/data/$*
# Chapter 6 compares its encoder with the one chapter 5 pretrains and saves.
out/data/simclr/results.tsv: out/data/adapt/results.tsv
experiments: $(RESULTS)

# ---- Figures: one gnuplot run draws both the PDF and the SVG. ----
.SECONDEXPANSION:
out/figures/%.pdf out/figures/%.svg: figures/%.gp figures/render.gp $(wildcard figures/*.gpi) out/data/$$(firstword $$(subst -, ,$$*))/results.tsv
	@mkdir -p $(@D)
	gnuplot -e "data='out/data/$(firstword $(subst -, ,$*))'; out='out/figures/$*'; script='$<'" figures/render.gp
figures: $(FIGFILES)

# ---- Weave: all chapters through one noweb pipeline, then nwpandoc, then pandoc. ----
BIBS := $(sort $(wildcard book/bib/*.bib))
PANDOC := pandoc -f markdown --no-highlight --citeproc $(BIBS:%=--bibliography=%)
out/weave/pipeline: $(CHAPTERS) tangle/library-defs.awk
	@mkdir -p $(@D)
	$(NOWEB)/markup $(CHAPTERS) | $(NOWEB)/autodefs.c | awk -f tangle/library-defs.awk | $(NOWEB)/finduses | $(NOWEB)/noidx > $@
out/weave/html/stamp: out/weave/pipeline out/tools/nwpandoc $(RESULTS) $(FIGFILES)
	@rm -rf $(@D) && mkdir -p $(@D)
	out/tools/nwpandoc --html $(@D) --appendix $(APPENDIX) < $<
	@touch $@
out/weave/latex/book.md: out/weave/pipeline out/tools/nwpandoc $(RESULTS) $(FIGFILES)
	@mkdir -p $(@D)
	out/tools/nwpandoc --latex $(@D) --appendix $(APPENDIX) < $<

html: out/html/index.html
out/html/index.html: out/weave/html/stamp book/template.html book/book.css $(BIBS) $(FIGFILES) out/stamps/value-VERSION
	@rm -rf out/html && mkdir -p out/html/figures
	cp book/book.css out/html/ && cp -r /usr/share/javascript/katex out/html/
	for f in $(FIGURES); do cp out/figures/$$f.svg out/html/figures/; done
	for md in out/weave/html/*.md; do \
	  page=$$(basename $$md .md); \
	  $(PANDOC) -t html5 --template=book/template.html --katex=katex/ \
	    -M reference-section-title=References -V version=$(VERSION) \
	    $$( [ $$page = index ] && echo -V contents=1 ) $$md -o out/html/$$page.html.tmp; \
	  mv out/html/$$page.html.tmp out/html/$$page.html; \
	done
	if [ -f out/book.pdf ]; then cp out/book.pdf out/html/book.pdf; fi

pdf: out/book.pdf
out/tex/body.tex: out/weave/latex/book.md $(BIBS)
	@mkdir -p $(@D)
	$(PANDOC) -t latex --top-level-division=chapter $< -o $@
out/book.pdf: out/tex/body.tex book/book.tex $(FIGFILES) out/stamps/value-VERSION
	cp book/book.tex out/tex/book.tex
	echo "$(VERSION)" > out/tex/version.tex
	cd out/tex && SOURCE_DATE_EPOCH=$(EPOCH) FORCE_SOURCE_DATE=1 \
	  latexmk -g -pdf -interaction=nonstopmode -halt-on-error -quiet book.tex > latexmk.log 2>&1 \
	  || { tail -40 latexmk.log; exit 1; }
	cp out/tex/book.pdf $@.tmp && mv $@.tmp $@
	if [ -d out/html ]; then cp $@ out/html/book.pdf; fi

book: programs experiments figures html pdf
	@echo "Built out/book.pdf and out/html/index.html."

# ---- Tests ----
TEST_SRC := $(wildcard tests/check_*.c)
out/tests/check_all: $(TEST_SRC) $(wildcard tests/*.h) out/lib/libpt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests $(TEST_SRC) out/lib/libpt.a $(CHECK_LIBS) $(LDLIBS) -o $@
check: deps
	$(MAKE) tangle
	$(MAKE) check-run
check-run: book out/tests/check_all
	out/tests/check_all
	bash tests/run-book-tests.sh

# ---- Benchmarks: ratios against references measured in the same run. ----
bench: deps
	$(MAKE) tangle
	$(MAKE) programs
	for b in $(BENCHES); do out/bin/$$b --out out/bench/$${b#bench_}; done

clean:
	rm -rf out
