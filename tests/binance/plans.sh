# tests/binance/plans.sh - sourced (after tests/lib.sh) by the binance
# tests that send plans of every kind and read what the fake received.
#
#   main ID [field value ...]     a granted main-lane plan, its result awaited
#   manual ID [field value ...]   the same on the manual lane (manual_operator)
#   res ID FIELD                  a field of its result's details
#   sent_none ID                  the fake never saw its client order id
#   pos SIDE                      the fake's ETHUSDT position of that side

is() {
	[ "$1" = "$2" ] && return 0
	echo "  got '$1', want '$2'" >&2; return 1
}
pos() { fake_account | jq -r --arg s "$1" '[.positions[] | select(.symbol == "ETHUSDT" and .positionSide == $s) | .positionAmt][0] // "0"'; }
main() { local id=$1; shift; grant "$id"; add_plan "$MAIN" "$id" "$@"; wait_result "$id" 40; }
manual() {
	local id=$1; shift; grant "$id"
	add_plan "$MANUAL" "$id" source manual_operator "$@"
	wait_result "$id" 40
}
res() { result_field "$1" "$2"; }
sent_none() { is "$(fake_posts "qie-$1")" 0; }
