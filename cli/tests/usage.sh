#!/bin/bash
# cli_usage: --help for hoop and each command (exit 0, text on stdout),
# --version, and bad usage (exit 2 for hoop itself, as documented).
. "$(dirname "$0")/lib.sh"
out=$("$HOOP" --help) || fail "hoop --help: status $?"
case "$out" in *"Usage: hoop COMMAND"*) ;; *) fail "hoop --help: $out" ;; esac
for cmd in probe bench cp cat echo-server http-server; do
	case "$out" in *"  $cmd "*) ;; *) fail "hoop --help does not list $cmd" ;; esac
done
for cmd in probe bench cp cat; do
	text=$("$HOOP" "$cmd" --help) || fail "hoop $cmd --help: status $?"
	case "$text" in *"Usage: hoop $cmd"*) ;; *) fail "hoop $cmd --help: $text" ;; esac
done
case "$("$HOOP" --version)" in "hoop "[0-9]*.[0-9]*.[0-9]*) ;; *) fail "version format" ;; esac
run_hoop
expect_eq "no command: status" "$rc" 2
run_hoop frobnicate
expect_eq "unknown command: status" "$rc" 2
expect_eq "unknown command: message" "$(head -1 "$T/err")" "hoop: unknown command 'frobnicate'"
run_hoop probe --bogus
expect_eq "probe --bogus: status" "$rc" 2
run_hoop bench --only nosuchsuite
expect_eq "bench --only nosuchsuite: status" "$rc" 2
run_hoop bench --plot "$T/chart.png"
expect_eq "bench --plot FILE.png: status" "$rc" 2
expect_eq "bench --plot FILE.png: message" "$(head -1 "$T/err")" \
	"hoop bench: --plot writes SVG: name the file *.svg, not '$T/chart.png'"
run_hoop bench --json "$T/b.jsonl" --markdown "$T/no/such/dir/report.md"
expect_eq "bench --markdown into a missing directory: status" "$rc" 1
[ ! -e "$T/b.jsonl" ] || fail "bench ran after a bad --markdown"
echo "cli_usage: passed"
