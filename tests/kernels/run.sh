#!/usr/bin/env bash
# tests/kernels/run.sh SRC WORK LIBHOOP_A [CC] - hoop's tests that matter on
# an older kernel, run inside QEMU (TCG) on Debian's 6.1 and 6.12 kernels.
#
# For each kernel series: the newest linux-image package of that series is
# fetched with `apt-get download` (the kernel image is kept under
# WORK/cache), the tests below, the CLI and an /init (init.c) are linked
# statically and packed into an initramfs, the kernel boots it, /init runs
# the steps and powers off, and this script reports every step as
# PASS/FAIL/SKIP with the reason. The probe's report (`hoop probe`, its
# first line with hoop's version and the kernel release left out) must equal
# docs/kernels/<series>.txt: a change of tier, setup flags, opcodes, buffer
# rings or what AUTO picks fails the test until the reference is rewritten
# (HOOP_KERNELS_UPDATE=1 rewrites it).
#
# Exit 0 all passed, 1 something failed, 77 skipped (no QEMU, cpio or
# kernel package here: the reason is printed).
# Environment: HOOP_KERNELS="6.1 6.12" (series to run), HOOP_KERNELS_TESTS
# (test names instead of the list below), HOOP_KERNELS_UPDATE=1.
set -uo pipefail

src=$1 work=$2 lib=$3 cc=${4:-cc}
cache=$work/cache
mkdir -p "$cache"

skip() { echo "SKIP: $*"; exit 77; }

# Each test is tests/test_<name>.c. Engine and queue tests run on io_uring
# (HOOP_BACKEND=uring, as in the main suite); engine_fallback and
# queue_threads check the thread pool and the per-opcode fallback.
tests=(
	# ring setup: every flag the kernel has, refusal of the others
	setup_flags setup_features bad_setup setup_defer_taskrun
	setup_single_issuer setup_no_mmap_sizes setup_r_disabled setup_clamp
	setup_attach_wq setup_resize setup_ring_fd
	# probe and tiers
	probe caps_probe caps_tiers
	# engine and queue, fallback paths
	engine_basic engine_fallback engine_kernel_fallback engine_read_files
	engine_read_files_masked
	engine_multishot engine_callbacks queue_basic queue_threads
	# opcodes 6.1 lacks (per-opcode fallback or a clean refusal)
	fs_read_write fs_statx fs_openat2 fs_dirops fs_fallocate_ftruncate
	fs_pipe fs_read_multishot fs_splice_tee net_socket_bind_listen
	# buffer rings or provided buffers
	reg_buf_ring bufgroup_legacy_ring bufgroup_engine_recv bufgroup_bundle
	# multishot accept and recv on 127.0.0.1
	net_accept_multishot net_roundtrip net_recv_eof netloop_accept
	netloop_echo poll_multishot
	# registered ring fd (register calls through it before 6.3)
	reg_ring_fd
	# engine cancel racing io-wq (hung in the kernel's sync cancel on 6.1)
	# and engine tests that assumed 6.18
	engine_cancel_iowq engine_cancel engine_cancel_multishot_timeout
	engine_fastpath engine_small_cq
	# features these kernels lack or do differently: refused, checked
	bad_sqe_batch caps_memlock timeout_multishot fs_fadvise_madvise
	reg_buf_ring_reg reg_fixed_links reg_sync_cancel setup_ring_fd_loop
	reg_napi cancel_op
	# regions of kernel memory and zcrx (6.13+, 6.15+): clean refusals
	reg_region_kernel reg_zcrx zcrx_refill
)
[ -n "${HOOP_KERNELS_TESTS:-}" ] && read -r -a tests <<<"$HOOP_KERNELS_TESTS"
read -r -a series <<<"${HOOP_KERNELS:-6.1 6.12}"

# ---- what this machine has ----
for tool in qemu-system-x86_64 cpio dpkg-deb; do
	command -v "$tool" >/dev/null 2>&1 ||
		skip "$tool is not installed (Debian: qemu-system-x86, cpio, dpkg; .ci/deps installs them)"
done
[ -f "$lib" ] || { echo "FAIL: $lib not built"; exit 1; }
echo 'int main(void){return 0;}' >"$work/static.c"
"$cc" -static -o "$work/static" "$work/static.c" 2>/dev/null ||
	skip "$cc cannot link static programs here (Debian: libc6-dev)"

# ---- kernels ----
# The apt package name of a series: the newest linux-image-<series>*-amd64
# in the archive (6.1: linux-image-6.1.0-N-amd64; 6.12:
# linux-image-6.12.N+debNN-amd64).
pkg_regex() {
	case $1 in
	6.1) echo '^linux-image-6\.1\.0-[0-9]+-amd64$' ;;
	*) echo "^linux-image-${1//./\\.}\\.[0-9]+\\+deb[0-9]+-amd64\$" ;;
	esac
}
# The cached image of a package of the series: <cache>/<package>.vmlinuz.
cached_regex() {
	echo "/$(pkg_regex "$1" | sed 's/^\^//; s/\$$//')\.vmlinuz\$"
}
find_pkg() {
	apt-cache search --names-only "$(pkg_regex "$1")" 2>/dev/null |
		awk '{print $1}' | sort -V | tail -1
}

# Sets $kernel to an image of series $1 (in the cache), or returns 1.
get_kernel() {
	local s=$1 pkg deb
	pkg=$(find_pkg "$s")
	if [ -z "$pkg" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		apt-get update -q >"$work/apt-update.log" 2>&1
		pkg=$(find_pkg "$s")
	fi
	if [ -n "$pkg" ] && [ -f "$cache/$pkg.vmlinuz" ]; then
		kernel=$cache/$pkg.vmlinuz
		return 0
	fi
	if [ -n "$pkg" ]; then
		rm -rf "$cache/dl" && mkdir -p "$cache/dl"
		if ! (cd "$cache/dl" && apt-get download -q "$pkg") >"$work/apt-$s.log" 2>&1 &&
			[ "$(id -u)" = 0 ]; then
			# Stale package lists: refresh them once and retry.
			apt-get update -q >"$work/apt-update.log" 2>&1
			pkg=$(find_pkg "$s")
			(cd "$cache/dl" && apt-get download -q "$pkg") >>"$work/apt-$s.log" 2>&1
		fi
		deb=$(ls "$cache/dl"/*.deb 2>/dev/null | head -1)
		if [ -n "$deb" ]; then
			dpkg-deb --fsys-tarfile "$deb" |
				tar -x -C "$cache/dl" --wildcards './boot/vmlinuz-*' &&
				mv "$cache/dl"/boot/vmlinuz-* "$cache/$pkg.vmlinuz"
			rm -rf "$cache/dl"
			# Older images of the series are not needed any more.
			ls "$cache"/*.vmlinuz 2>/dev/null | grep -E "$(cached_regex "$s")" |
				grep -vxF "$cache/$pkg.vmlinuz" | xargs -r rm -f
			if [ -f "$cache/$pkg.vmlinuz" ]; then
				kernel=$cache/$pkg.vmlinuz
				return 0
			fi
		fi
	fi
	# Offline: the newest image of the series fetched before.
	kernel=$(ls "$cache"/*.vmlinuz 2>/dev/null | grep -E "$(cached_regex "$s")" | sort -V | tail -1)
	[ -n "$kernel" ]
}

# ---- the initramfs ----
root=$work/root
mkdir -p "$root/bin"
cflags=(-static -O2 -g0 -s -D_GNU_SOURCE -I"$src/include" -I"$src/tests" -w)
# Rebuild an output when it is older than any of its inputs.
stale() {
	local out=$1
	shift
	[ -f "$out" ] || return 0
	for f in "$@" "$lib" "$src"/include/hoop/*.h "$src"/include/hoop.h; do
		[ "$f" -nt "$out" ] && return 0
	done
	return 1
}
build_start=$(date +%s)
if stale "$root/init" "$src/tests/kernels/init.c"; then
	"$cc" -static -O2 -s -Wall -Wextra -o "$root/init" "$src/tests/kernels/init.c" ||
		{ echo "FAIL: building init"; exit 1; }
fi
if stale "$work/helpers.o" "$src/tests/helpers.c" "$src/tests/helpers.h"; then
	"$cc" "${cflags[@]}" -c -o "$work/helpers.o" "$src/tests/helpers.c" ||
		{ echo "FAIL: building tests/helpers.c"; exit 1; }
fi
# The CLI without `hoop bench` (HOOP_CLI_BENCH=0): the bench needs cJSON,
# which Debian ships as a shared library only, and is not run in the guest.
cli_srcs=()
for f in "$src"/cli/*.c; do
	case "${f##*/}" in cmd_bench.c | bench_*.c) ;; *) cli_srcs+=("$f") ;; esac
done
if stale "$root/bin/hoop" "${cli_srcs[@]}"; then
	"$cc" "${cflags[@]}" -DHOOP_CLI_BENCH=0 -DHOOP_SOURCE_DIR='"/"' -DHOOP_BENCH_LIBEXEC='"."' \
		-DHOOP_BENCH_BUILT=0 -DHOOP_BENCH_URING=0 -o "$root/bin/hoop" \
		"${cli_srcs[@]}" "$lib" -lm -lpthread || { echo "FAIL: building the CLI"; exit 1; }
fi
export cc lib work root src
printf '%s\n' "${tests[@]}" | xargs -P 2 -I{} bash -c '
	t={}; s="$src/tests/test_$t.c"; o="$root/bin/$t"
	if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || [ "$lib" -nt "$o" ] || [ "$work/helpers.o" -nt "$o" ]; then
		"$cc" -static -O2 -g0 -s -D_GNU_SOURCE -I"$src/include" -I"$src/tests" -w \
			-o "$o" "$s" "$work/helpers.o" "$lib" -lpthread -lm ||
			{ echo "FAIL: building test_$t"; exit 255; }
	fi' || exit 1

# The steps /init runs: name|timeout|environment|command.
{
	for t in "${tests[@]}"; do
		env=
		case $t in engine_* | queue_*) env=HOOP_BACKEND=uring ;; esac
		echo "$t|120|$env|/bin/$t"
	done
	echo "hoop_probe|60||/bin/hoop probe"
	echo "hoop_probe_json|60||/bin/hoop probe --json"
	echo "hoop_cp|60||/bin/hoop cp /bin/hoop /tmp/hoop.copy"
	echo "hoop_cp_check|30||@cmp /bin/hoop /tmp/hoop.copy"
	echo "hoop_cp_r|120||/bin/hoop cp -r /bin /tmp/bin.copy"
	echo "hoop_cp_r_check|30||@cmptree /bin /tmp/bin.copy"
} >"$root/steps"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$work/initrd.cpio" ||
	{ echo "FAIL: cpio"; exit 1; }
echo "built ${#tests[@]} tests and the CLI statically in $(($(date +%s) - build_start)) s"

# ---- boot each kernel ----
failed=0 ran=0
for s in "${series[@]}"; do
	if ! get_kernel "$s"; then
		echo "kernel $s: no package found by apt ($(pkg_regex "$s")) and none cached"
		[ -f "$work/apt-$s.log" ] && tail -3 "$work/apt-$s.log"
		if [ "${CI:-}" = true ]; then failed=1; fi
		continue
	fi
	log=$work/$s.log
	t0=$(date +%s)
	timeout 600 qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -nographic \
		-no-reboot -kernel "$kernel" -initrd "$work/initrd.cpio" \
		-append 'console=ttyS0 quiet panic=-1 rdinit=/init' </dev/null >"$log" 2>&1
	qrc=$?
	secs=$(($(date +%s) - t0))
	ran=$((ran + 1))
	echo
	echo "==== kernel $s: $(basename "$kernel" .vmlinuz), ${secs} s under QEMU (TCG) ===="
	if ! grep -q '^@@hoop-kernels done' "$log"; then
		echo "FAIL: the guest did not finish (qemu exit $qrc); its console:"
		tail -30 "$log"
		failed=1
	fi
	# One line per step; the output of failed and skipped steps.
	tr -d '\r' <"$log" | sed 's/^.*@@hoop-kernels /@@hoop-kernels /' | awk '
		/^@@hoop-kernels begin /{name=$3; out=""; next}
		/^@@hoop-kernels end /{
			rc=$4; sub("rc=", "", rc); ms=$5; sub("ms=", "", ms)
			if (name ~ /^hoop_probe/) { if (rc == 0) next }
			if (rc == 0) printf "%-5s %-32s %6.1f s\n", "PASS", name, ms / 1000
			else if (rc == 77) {
				n = split(out, l, "\n"); why = ""
				for (i = n; i >= 1; i--) if (l[i] ~ /SKIP/) { why = l[i]; break }
				printf "%-5s %-32s %s\n", "SKIP", name, why
			} else {
				printf "%-5s %-32s exit %s after %.1f s:\n%s", "FAIL", name, rc, ms / 1000, out
				bad = 1
			}
			next
		}
		/^\[ *[0-9]+\.[0-9]+\]/ { next }
		{ out = out "    " $0 "\n" }
		END { exit bad }' || failed=1
	# The probe report against the reference.
	ref=$src/docs/kernels/$s.txt
	tr -d '\r' <"$log" | sed 's/^.*@@hoop-kernels /@@hoop-kernels /' | awk '/^@@hoop-kernels begin hoop_probe$/{on=1; next} /^@@hoop-kernels end hoop_probe /{on=0} on' \
		>"$work/$s.probe.txt"
	if [ "${HOOP_KERNELS_UPDATE:-}" = 1 ]; then
		mkdir -p "$(dirname "$ref")"
		{
			echo "# hoop probe on Debian's $(basename "$kernel" .vmlinuz) (series $s) under QEMU,"
			echo "# from tests/kernels/run.sh (ctest -L kernels). That test fails when the report"
			echo "# differs from this one (this header and the first line, with hoop's version"
			echo "# and the kernel's release, excepted); rewrite it with HOOP_KERNELS_UPDATE=1."
			cat "$work/$s.probe.txt"
		} >"$ref"
		echo "wrote $ref"
	elif [ ! -f "$ref" ]; then
		echo "FAIL  probe report: no reference $ref (HOOP_KERNELS_UPDATE=1 writes it)"
		failed=1
	elif ! diff -u <(grep -v '^#' "$ref" | sed 1d) <(sed 1d "$work/$s.probe.txt") >"$work/$s.probe.diff"; then
		echo "FAIL  probe report differs from docs/kernels/$s.txt (- reference, + now):"
		sed 's/^/    /' "$work/$s.probe.diff"
		failed=1
	else
		echo "PASS  probe report = docs/kernels/$s.txt"
	fi
done
[ "$ran" -gt 0 ] || skip "no kernel could be fetched (apt-get download of ${series[*]})"
exit $failed
