# mtlspec: the two commands a newcomer needs are `make conformance` and `make test`.
# Both build first. The build is a clean `tsc`, so stale compiled files from
# deleted sources can never leak into a run, then the CLI's bundle and its
# code cache (scripts/bundle-cli.ts): about 4 s, so it runs only when one of
# its inputs is newer than the last build: a source, a folder of them (a file
# deleted), the installed packages (the bundle holds their code), or another
# Node (the code cache is Node's own). `npm ci` builds too (its prepare script).

NODE ?= node
NODE_VERSION := $(shell $(NODE) --version)
SOURCE_DIRS := src steps fixtures scripts test
# Folders as "dir/.": a bare "test" would name the phony target, not the folder.
BUILD_INPUTS := $(shell find $(SOURCE_DIRS) -name '*.ts') $(addsuffix /.,$(shell find $(SOURCE_DIRS) -type d)) \
	tsconfig.json package.json package-lock.json $(wildcard node_modules/.package-lock.json)
BUILT := dist/.built-node-$(NODE_VERSION)

.PHONY: build conformance test clean bench

build: $(BUILT)

# The stamp takes the time the build started, so a source saved during the build is newer and rebuilds next time.
$(BUILT): $(BUILD_INPUTS)
	rm -rf dist
	mkdir -p dist && touch dist/.build-started
	npx tsc -p tsconfig.json
	$(NODE) dist/scripts/bundle-cli.js
	touch -r dist/.build-started $@ && rm dist/.build-started

## Run every scenario against the built-in gRPC and HTTP/2 reference servers.
## Reports: reports/conformance.html, reports/junit.xml, reports/messages.ndjson.
conformance: build
	$(NODE) bin/mtlspec.js run --report-dir reports

## The project's own tests: unit, end-to-end, and the harness against flawed servers.
test: build
	$(NODE) --test dist/test/*.test.js

## Performance: wall time of the catalogue, probe and PKI costs, mtlspec vs the same cases by hand;
## then a fleet of loopback targets at several --concurrency values (bench/fleet.ts).
## Prints tables and writes reports/bench.json and reports/bench-fleet.json (see bench/README.md).
bench: build
	bench/ensure-tools.sh
	npx tsc -p bench/tsconfig.json
	$(NODE) dist/bench/bench.js
	$(NODE) dist/bench/fleet.js

clean:
	rm -rf dist
	find reports -mindepth 1 ! -name .gitkeep -delete
