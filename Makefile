# powercut - a discrete-event simulator of the Linux storage stack under power cuts.
#   make            build ./powercut
#   make demo       install missing packages (root), build, run scenarios/barriers.lua into out/
#                   (results.json, results.csv and its plots: rates, throughput, tradeoff, latency)
#   make check      install missing packages (root), build, run every test (TAP via prove)
#   make bench      print engine / simulation / trial throughput figures
#   make asan       ASan+UBSan build and the unit tests under it
#   make install PREFIX=/usr/local
#   make clean

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BUILD     ?= build
CC        ?= cc
PKGS      := glib-2.0 lua5.4 json-glib-1.0 fuse3
DEB_PKGS  := libglib2.0-dev liblua5.4-dev libjson-glib-dev gnuplot-nox pkg-config parallel libfuse3-dev fuse3 e2fsprogs xfsprogs btrfs-progs
SANFLAGS  ?=
OPT       ?= -O2 -g
CFLAGS    ?=
CFLAGS    += -std=c11 -D_GNU_SOURCE $(OPT) -Wall -Wextra -Werror -Wno-unused-parameter \
             -DPOWERCUT_VERSION='"$(VERSION)"' -DPOWERCUT_DATADIR='"$(PREFIX)/share/powercut"' $(SANFLAGS)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread
LDFLAGS   += $(SANFLAGS)

LIB_SRC   := $(sort $(shell find sim -name '*.c' ! -path sim/main.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC  := $(sort $(wildcard tests/test-*.c))
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_BIN := $(BUILD)/tests/bench

.PHONY: all demo check unit bench asan install clean deps
all: powercut

$(BUILD)/%.o: %.c $(shell find sim -name '*.h')
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Isim -c $< -o $@

$(BUILD)/libpowercut.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

powercut: $(BUILD)/sim/main.o $(BUILD)/libpowercut.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libpowercut.a tests/testutil.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Isim -Itests $(LDFLAGS) -o $@ $< $(BUILD)/libpowercut.a $(PKG_LIBS)

$(BENCH_BIN): tests/bench.c $(BUILD)/libpowercut.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Isim -Itests $(LDFLAGS) -o $@ $< $(BUILD)/libpowercut.a $(PKG_LIBS)

# Install missing Debian packages when root; otherwise print the command.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    (apt-get install -y $$missing || (apt-get update && apt-get install -y $$missing)) >/dev/null; \
	  else \
	    echo "missing packages:$$missing"; echo "run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

demo: deps
	@$(MAKE) --no-print-directory all
	./powercut run scenarios/barriers.lua --out out

unit: $(TEST_BIN)

check: deps
	@$(MAKE) --no-print-directory all unit
	G_RANDOM_VERSION= prove -f --exec '' $(TEST_BIN) $(sort $(wildcard tests/t-*.sh))

bench: all $(BENCH_BIN)
	@$(BENCH_BIN)
	@sh tests/bench.sh

asan:
	@$(MAKE) --no-print-directory BUILD=build/asan OPT="-O1 -g" \
	  SANFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" unit
	G_SLICE=always-malloc ASAN_OPTIONS=detect_leaks=0 prove -f --exec '' $(TEST_SRC:tests/%.c=build/asan/tests/%)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/powercut/lua \
	  $(DESTDIR)$(PREFIX)/share/powercut/scenarios $(DESTDIR)$(PREFIX)/share/powercut/plots
	install -m 755 powercut $(DESTDIR)$(PREFIX)/bin/powercut
	install -m 644 lua/*.lua $(DESTDIR)$(PREFIX)/share/powercut/lua/
	install -m 644 scenarios/*.lua $(DESTDIR)$(PREFIX)/share/powercut/scenarios/
	install -m 644 plots/*.gp $(DESTDIR)$(PREFIX)/share/powercut/plots/

clean:
	rm -rf build powercut
