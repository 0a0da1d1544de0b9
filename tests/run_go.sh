#!/bin/sh
# tests/run_go.sh SRCDIR GO ARGS... - run a go command for the Go package
# with the C core's sources in the build cache key.
# tests/run_go.sh SRCDIR GO lint - go vet, gofmt -l (must print nothing) and
# staticcheck (the version pinned below, fetched by `go run` from the Go
# module proxy on first use and cached) over ./go/..., from SRCDIR.
#
# go/core_*.c only #include ../core/*.c, and Go's build cache hashes the files
# in the package directory, not what they include: after an edit to core/ or
# include/, `go test` would link the cached, old core. CGO_CFLAGS is part of
# the cache key, so a hash of every core source and header in it makes an
# edited core rebuild, and an unchanged one still hit the cache.
set -eu
src=$1
shift
sum=$(cat "$src"/core/*.c "$src"/core/*.h "$src"/core/*.map "$src"/include/hoop.h \
	"$src"/include/hoop/*.h | sha256sum | cut -c1-16)
CGO_CFLAGS="${CGO_CFLAGS:--O2 -g} -DHOOP_CORE_SOURCES_${sum}"
export CGO_CFLAGS
if [ "$#" -eq 2 ] && [ "$2" = lint ]; then
	go=$1
	staticcheck=honnef.co/go/tools/cmd/staticcheck@v0.8.2
	cd "$src"
	echo "go vet ./go/..."
	"$go" vet ./go/...
	echo "gofmt -l go"
	unformatted=$("$(dirname "$go")/gofmt" -l go)
	if [ -n "$unformatted" ]; then
		echo "not gofmt-formatted:" "$unformatted" >&2
		exit 1
	fi
	echo "staticcheck ./go/... ($staticcheck)"
	"$go" run "$staticcheck" ./go/...
	echo "lint: clean"
	exit 0
fi
exec "$@"
