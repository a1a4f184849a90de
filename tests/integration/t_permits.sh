#!/bin/bash
# P3.3 permits: both encodings (STRING holding JSON, HASH of strings), denial
# and its reason, safe_qty, a late permit, an invalid one, none at all; and
# the per-symbol queues: a plan waiting for its permit holds back later
# plans of its own symbol only.  (Permit timeout: 1 s.)
. "$(dirname "$0")/../lib.sh"

start_redis
start_daemon
PK=quantum:permit:p33

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# run_plan PLAN_ID [field value ...]: adds it on the main lane, waits for
# its result (the permit, if any, is written beforehand).
run_plan() { local id=$1; shift; add_plan $MAIN "$id" "$@"; wait_result "$id" 5; }
# error_is PLAN_ID REGEX
error_is() {
	local e; e=$(result_field "$1" error)
	[[ $e =~ $2 ]] && return 0
	echo "  $1: error=$e, want /$2/" >&2; return 1
}
field_is() {
	local v; v=$(result_field "$1" "$2")
	[ "$v" = "$3" ] && return 0
	echo "  $1: $2=$v, want $3" >&2; return 1
}

# --- STRING holding JSON {"allow": true}
redis-cli SET $PK:pm-json '{"allow": true}' EX 60 >/dev/null
check "JSON allow=true: decided" run_plan pm-json
check "JSON allow=true: executed" field_is pm-json executed true
check "JSON allow=true: no error" field_is pm-json error null
check "JSON allow=true: permit recorded in the result" field_is pm-json permit.allow true

# --- HASH allow true
redis-cli HSET $PK:pm-hash allow true >/dev/null; redis-cli EXPIRE $PK:pm-hash 60 >/dev/null
check "HASH allow=true: decided" run_plan pm-hash
check "HASH allow=true: executed" field_is pm-hash executed true

redis-cli HSET $PK:pm-hash-granted granted yes reason ok >/dev/null
check "HASH granted=yes: decided" run_plan pm-hash-granted
check "HASH granted=yes: executed" field_is pm-hash-granted executed true

# --- HASH allow "false": the string is false
redis-cli HSET $PK:pm-hash-false allow false >/dev/null
check "HASH allow=\"false\": decided" run_plan pm-hash-false
check "HASH allow=\"false\": not executed" field_is pm-hash-false executed false
check "HASH allow=\"false\": p33_permit_denied" error_is pm-hash-false '^p33_permit_denied(:|$)'

redis-cli HSET $PK:pm-hash-reason allow 0 reason cooldown >/dev/null
check "HASH allow=0 reason=cooldown: decided" run_plan pm-hash-reason
check "HASH allow=0 reason=cooldown: p33_permit_denied:cooldown" \
	error_is pm-hash-reason '^p33_permit_denied:cooldown$'

# --- JSON denials
redis-cli SET $PK:pm-denied '{"granted": false, "reason": "risk"}' EX 60 >/dev/null
check "JSON granted=false: decided" run_plan pm-denied
check "JSON granted=false: not executed" field_is pm-denied executed false
check "JSON granted=false reason=risk: p33_permit_denied:risk" \
	field_is pm-denied error p33_permit_denied:risk
redis-cli SET $PK:pm-denied-str '{"allow": "false"}' EX 60 >/dev/null
check "JSON allow=\"false\" (a string): denied" run_plan pm-denied-str
check "JSON allow=\"false\": p33_permit_denied" error_is pm-denied-str '^p33_permit_denied(:|$)'
redis-cli SET $PK:pm-disagree '{"allow": true, "granted": false}' EX 60 >/dev/null
check "JSON allow=true granted=false: decided" run_plan pm-disagree
check "JSON allow=true granted=false: denied (either one false denies)" \
	error_is pm-disagree '^p33_permit_denied(:|$)'
redis-cli SET $PK:pm-empty '{}' EX 60 >/dev/null
check "JSON {} (no allow, no granted): decided" run_plan pm-empty
check "JSON {}: denied" error_is pm-empty '^p33_permit_denied(:|$)'

# --- safe_qty / safe_close_qty cap the quantity
redis-cli SET $PK:pm-safe '{"allow": true, "safe_qty": 0.02}' EX 60 >/dev/null
check "safe_qty 0.02 < qty 0.05: decided" run_plan pm-safe qty 0.05
check "safe_qty: executed" field_is pm-safe executed true
check "safe_qty: details qty is 0.02" field_is pm-safe qty 0.02
check "safe_qty: filled_qty is 0.02" field_is pm-safe filled_qty 0.02
check "safe_qty: requested_qty stays 0.05" field_is pm-safe requested_qty 0.05
redis-cli HSET $PK:pm-safe-hash allow true safe_close_qty -0.03 >/dev/null
check "HASH safe_close_qty -0.03 (|value| used): decided" run_plan pm-safe-hash qty 0.05
check "HASH safe_close_qty: details qty is 0.03" field_is pm-safe-hash qty 0.03
redis-cli SET $PK:pm-safe0 '{"allow": true, "safe_qty": 0}' EX 60 >/dev/null
check "safe_qty 0: decided" run_plan pm-safe0 qty 0.05
check "safe_qty 0: the plan's qty is used" field_is pm-safe0 qty 0.05
redis-cli SET $PK:pm-safe-big '{"allow": true, "safe_qty": "1.5"}' EX 60 >/dev/null
check "safe_qty 1.5 > qty: decided" run_plan pm-safe-big qty 0.05
check "safe_qty above qty: the plan's qty is used" field_is pm-safe-big qty 0.05

# --- a permit that arrives 300 ms after the plan
add_plan $MAIN pm-late
sleep 0.3
check "late permit: still waiting after 300 ms" test "$(result_count pm-late)" = 0
grant pm-late
check "late permit: decided" wait_result pm-late 5
check "late permit: honoured (executed)" field_is pm-late executed true

# --- invalid permits
redis-cli SET $PK:pm-badjson '{allow: true' EX 60 >/dev/null
check "invalid JSON: decided" run_plan pm-badjson
check "invalid JSON: p33_permit_invalid" error_is pm-badjson '^p33_permit_invalid(:|$)'
check "invalid JSON: not executed" field_is pm-badjson executed false
redis-cli SET $PK:pm-array '[true]' EX 60 >/dev/null
check "JSON array: decided" run_plan pm-array
check "JSON array: p33_permit_invalid" error_is pm-array '^p33_permit_invalid(:|$)'
redis-cli RPUSH $PK:pm-list allow true >/dev/null
check "a LIST key: decided" run_plan pm-list
check "a LIST key: p33_permit_invalid" error_is pm-list '^p33_permit_invalid(:|$)'
redis-cli SET $PK:pm-badqty '{"allow": true, "safe_qty": "lots"}' EX 60 >/dev/null
check "safe_qty \"lots\": decided" run_plan pm-badqty
check "safe_qty \"lots\": p33_permit_invalid, not executed" error_is pm-badqty '^p33_permit_invalid(:|$)'

# --- the manual lane reads permits the same way
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null
redis-cli HSET $PK:pm-manual allow true >/dev/null
add_plan $MANUAL pm-manual
check "manual lane, HASH permit: decided" wait_result pm-manual 5
check "manual lane, HASH permit: executed" field_is pm-manual executed true

# --- no permit: missing after the timeout; it holds back its own symbol only
# A: BTCUSDT, no permit.  B: ETHUSDT, granted, added after A.
# C: TRXUSDT, no permit.  D: TRXUSDT, granted, added after C.
grant pm-B; grant pm-D
t0=$(now_ms)
add_plan $MAIN pm-A symbol BTCUSDT
add_plan $MAIN pm-C symbol TRXUSDT qty 10
add_plan $MAIN pm-B symbol ETHUSDT
add_plan $MAIN pm-D symbol TRXUSDT qty 10
check "other symbol: B decided" wait_result pm-B 5
tB=$(now_ms)
check "other symbol: B executed" field_is pm-B executed true
check "other symbol: B done within 500 ms (not stalled by A)" test $((tB - t0)) -lt 500
check "same symbol: D not decided while C waits" test "$(result_count pm-D)" = 0
check "no permit: A decided" wait_result pm-A 5
tA=$(now_ms)
check "no permit: p33_permit_missing_or_denied" field_is pm-A error p33_permit_missing_or_denied
check "no permit: not executed" field_is pm-A executed false
check "no permit: decided after the 1 s timeout ($((tA - t0)) ms)" test $((tA - t0)) -ge 950
check "no permit: decided soon after it ($((tA - t0)) ms < 2500)" test $((tA - t0)) -lt 2500
check "other symbol: B's result written before A's" id_before "$(result_pos pm-B)" "$(result_pos pm-A)"
check "same symbol: C decided" wait_result pm-C 5
check "same symbol: C missing permit" field_is pm-C error p33_permit_missing_or_denied
check "same symbol: D decided" wait_result pm-D 5
check "same symbol: D executed" field_is pm-D executed true
check "same symbol: D's result written after C's (order kept)" \
	id_before "$(result_pos pm-C)" "$(result_pos pm-D)"

check "one result per plan" test "$(results_all | jq -r .plan_id | sort | uniq -d | wc -l)" = 0
check "nothing pending on the main lane" test "$(pending_count $MAIN intent_executor)" = 0
check "nothing pending on the manual lane" test "$(pending_count $MANUAL intent_executor_manual)" = 0
