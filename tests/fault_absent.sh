#!/bin/sh
# fault_absent: the production libraries contain no fault-injection code
# (and, as a control, the fault build does). Each tool writes to a file
# that is checked after its status: in `nm lib | grep fault`, an nm that
# failed would look like a clean library.
#   fault_absent.sh NM STRINGS FAULT_LIBRARY LIBRARY...
set -u
nm=$1
strings=$2
fault=$3
shift 3
tmp=$(mktemp -d /tmp/hoop-fault-absent.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$nm" -a "$fault" >"$tmp/syms" || { echo "$nm -a $fault: status $?"; exit 1; }
grep -q hoop__fault_set "$tmp/syms" ||
	{ echo 'control: no hoop__fault_set in the fault build'; exit 1; }
for lib in "$@"; do
	"$nm" -a "$lib" >"$tmp/syms" || { echo "$nm -a $lib: status $?"; exit 1; }
	if grep -i fault "$tmp/syms"; then
		echo "fault symbols in the production library $lib"
		exit 1
	fi
	"$strings" "$lib" >"$tmp/strings" || { echo "$strings $lib: status $?"; exit 1; }
	if grep HOOP_FAULT "$tmp/strings"; then
		echo "fault strings in the production library $lib"
		exit 1
	fi
done
echo "no fault injection in $*"
