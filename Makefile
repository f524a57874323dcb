# mtlspec: the two commands a newcomer needs are `make conformance` and `make test`.
# Both build first. The build is a clean `tsc`, so stale compiled files from
# deleted sources can never leak into a run, then the CLI's bundle and its
# code cache (scripts/bundle-cli.ts): about 4 s, so it runs only when a
# source, or a folder of them (a file deleted), is newer than the last build.
# `npm ci` builds too (the prepare script runs `make build`).

NODE ?= node
SOURCE_DIRS := src steps fixtures scripts test
# Folders as "dir/.": a bare "test" would name the phony target, not the folder.
BUILD_INPUTS := $(shell find $(SOURCE_DIRS) -name '*.ts') $(addsuffix /.,$(shell find $(SOURCE_DIRS) -type d)) tsconfig.json package.json package-lock.json

.PHONY: build conformance test clean bench

build: dist/.built

dist/.built: $(BUILD_INPUTS)
	rm -rf dist
	npx tsc -p tsconfig.json
	$(NODE) dist/scripts/bundle-cli.js
	touch $@

## Run every scenario against the built-in gRPC and HTTP/2 reference servers.
## Reports: reports/conformance.html, reports/junit.xml, reports/messages.ndjson.
conformance: build
	$(NODE) bin/mtlspec.js run --report-dir reports

## The project's own tests: unit, end-to-end, and the harness against flawed servers.
test: build
	$(NODE) --test dist/test/*.test.js

## Performance: wall time of the catalogue, probe and PKI costs, mtlspec vs the same cases by hand.
## Prints a table and writes reports/bench.json (see bench/README.md). About a minute.
bench: build
	bench/ensure-tools.sh
	npx tsc -p bench/tsconfig.json
	$(NODE) dist/bench/bench.js

clean:
	rm -rf dist
	find reports -mindepth 1 ! -name .gitkeep -delete
