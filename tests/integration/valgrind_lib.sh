# valgrind_lib.sh - reading valgrind memcheck's leak summary, for the
# drivers that hold heapblame's scan to memcheck's (reach_valgrind.sh,
# reach_foreign.sh); sourced after lib.sh, never run.

# vg_summary LOG KIND: "BYTES BLOCKS" of memcheck's LEAK SUMMARY line KIND
# ("definitely lost", "indirectly lost", "possibly lost", "still
# reachable", "suppressed"), commas removed; "0 0" when memcheck found every
# block freed; "MISSING" when the log has neither.
vg_summary() {
	awk -v kind="$2" '
		/All heap blocks were freed -- no leaks are possible/ { none = 1 }
		/LEAK SUMMARY:/ { on = 1; next }
		on && index($0, kind ":") {
			s = substr($0, index($0, kind ":") + length(kind) + 1)
			gsub(/,/, "", s)
			split(s, w, " ")   # BYTES bytes in BLOCKS blocks
			print w[1], w[4]
			found = 1
			exit
		}
		END { if (!found) print none ? "0 0" : "MISSING" }' "$1"
}
