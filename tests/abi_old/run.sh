#!/bin/sh
# tests/abi_old/run.sh CLIENT LIBDIR READELF - the CTest test abi_old_client.
# CLIENT was built against release 0.1's headers and version map (see
# client.c); check that it asks for the HOOP_0.1 symbols, that the library
# in LIBDIR has them, then run it against that library.
set -eu
client=$1 libdir=$2 readelf=$3
lib=$libdir/libhoop.so.0
fail() { echo "abi_old_client: $*"; exit 1; }

[ -e "$lib" ] || fail "no $lib: was the SOVERSION raised? Then 0.1 programs \
no longer run by design; point this test at the previous release of the new major."
"$readelf" -d "$client" | grep -q 'NEEDED.*\[libhoop\.so\.0\]' || fail "client does not need libhoop.so.0"
for f in hoop_engine_get_metrics hoop_probe_run hoop_engine_create hoop_engine_submit hoop_engine_wait; do
	"$readelf" --dyn-syms -W "$client" | grep -q " UND $f@HOOP_0\.1" ||
		fail "client does not ask for $f@HOOP_0.1"
	"$readelf" --dyn-syms -W "$lib" | grep -qE " $f@@?HOOP_0\.1( |\$)" ||
		fail "$lib has no $f@HOOP_0.1"
done
LD_LIBRARY_PATH=$libdir exec "$client"
