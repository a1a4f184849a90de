#!/bin/bash
# t_deadletter.sh - a plan that keeps coming back ends in <stream>.dead.
# (1) A plan that "crashes" its worker every time it is sent (the
# executor is stopped with SIGSTOP while the plan is sent, then the worker
# is killed with SIGKILL): each send counts an attempt in the claim, and
# once INTENT_EXECUTOR_MAX_DELIVERIES (5) attempts died under way, the next
# delivery moves the entry to quantum:stream:apply.plan.dead with a result
# "dead_lettered:delivered 6 times" instead of looping forever.  A plan
# that only waits for its permit while its worker is killed 6 times is
# not poison: 7 deliveries, no dead letter, and it executes once granted.
# (2) Entries taken over from a dead consumer (XAUTOCLAIM) with high
# delivery counts: a fresh plan never claimed is dead-lettered; a copy of
# a plan already decided, or one owned by another entry, is only
# acknowledged (never a second result); at exactly the limit an entry is
# still processed; a plan whose request had reached the executor 5 times
# (claim state sent, attempts 5) is dead-lettered with a warning that an
# order may exist; a claimed plan, or one sent twice, is executed.  (3)
# The limit is INTENT_EXECUTOR_MAX_DELIVERIES.  (4) All of it under the
# workers' least-privilege ACL users (docs/redis-acl.conf), with a plan
# held past the idle time kept fresh by its worker (XCLAIM JUSTID: no
# delivery counted, never taken over).
. "$(dirname "$0")/../lib.sh"
trap eo_cleanup EXIT

DEAD=$MAIN.dead
start_redis
start_daemon INTENT_EXECUTOR_CLAIM_MIN_IDLE_MS=1000 INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=60000 \
	INTENT_EXECUTOR_MAX_PLAN_AGE_SEC=300

# dead_field PLAN_ID FIELD: a field of the plan's dead-letter entry.
dead_field() {
	redis-cli --json XRANGE "$DEAD" - + | jq -r --arg p "$1" --arg k "$2" '
		.[] | .[1] as $f | ([range(0; $f | length; 2) | {key: $f[.], value: $f[. + 1]}]
		| from_entries) | select(.plan_id == $p) | .[$k]' | head -n 1
}
dead_count() { redis-cli --json XRANGE "$DEAD" - + | jq --arg p "$1" '[.[] | select(.[1] | index($p))] | length'; }

# ------------------------------------------ (1a) waiting is not poison
ew=$(xadd_plan "$MAIN" dl-wait)         # no permit: it waits, held by the worker
kills=0
for k in $(seq 6); do
	for i in $(seq 150); do
		p=$(entry_pending "$MAIN" intent_executor "$ew")
		[ -n "$p" ] && [ "${p#* }" -ge "$k" ] && [ "$(claim_state dl-wait)" = claimed ] && break
		sleep 0.05
	done
	w=$(status_get main pid)
	kill_pid -9 "$w" || break
	kills=$((kills + 1))
	wait_new_pid main "$w" 10 || break
	sleep 2.1               # up 2 s: the supervisor's restart backoff stays short
done
for i in $(seq 150); do
	p=$(entry_pending "$MAIN" intent_executor "$ew")
	[ -n "$p" ] && [ "${p#* }" -ge 7 ] && break
	sleep 0.05
done
echo "info: waiting plan: worker killed $kills times, pending '$p'"
check "waiting: killed 6 times, delivered 7 times (${p#* })" test "$kills/${p#* }" = 6/7
sleep 0.5
check "waiting: not dead-lettered" test "$(dead_count dl-wait)/$(result_count dl-wait)" = 0/0
grant dl-wait
check "waiting: executes once granted" wait_result dl-wait 5
check "waiting: ... executed=true" test "$(result_top dl-wait executed)" = true

# ------------------------------------------------------------- (1) crash loop
e=$(xadd_plan "$MAIN" dl-loop)          # no permit: it waits, held by the worker
INFL=quantum:inflight:ETHUSDT
kills=0
for round in $(seq 10); do
	# the current worker holds it, waiting for its permit
	for i in $(seq 150); do
		[ "$(grep -cF 'Waiting for P3.3 permit: dl-loop' "$DLOG")" -ge "$round" ] && break
		[ "$(dead_count dl-loop)" != 0 ] && break 2
		sleep 0.05
	done
	[ "$(dead_count dl-loop)" != 0 ] && break
	x=$(executor_pid) w=$(status_get main pid)
	kill_pid -STOP "$x" || break
	redis-cli DEL "$INFL" >/dev/null
	grant dl-loop                   # sent now: to an executor that never answers
	for i in $(seq 100); do [ "$(redis-cli EXISTS "$INFL")" = 1 ] && break; sleep 0.02; done
	redis-cli DEL quantum:permit:p33:dl-loop >/dev/null
	kill_pid -9 "$w"; kills=$((kills + 1))
	kill_pid -CONT "$x"
	wait_new_pid main "$w" 20 || break
done
for i in $(seq 100); do [ "$(dead_count dl-loop)" != 0 ] && break; sleep 0.05; done
echo "info: crash loop: worker killed $kills times while the plan was sent; attempts $(redis-cli HGET quantum:intent_executor:claim:dl-loop attempts)"
check "crash loop: the worker was killed 5 times (attempts 1-5), not more (got $kills)" test "$kills" = 5
check "crash loop: the entry is in $DEAD once" test "$(dead_count dl-loop)" = 1
check "crash loop: dead entry keeps the plan's fields" test "$(dead_field dl-loop symbol) $(dead_field dl-loop qty)" = "ETHUSDT 0.01"
check "crash loop: dl_original_id is the entry ($e)" test "$(dead_field dl-loop dl_original_id)" = "$e"
check "crash loop: dl_delivery_count 6" test "$(dead_field dl-loop dl_delivery_count)" = 6
check "crash loop: dl_attempts 5" test "$(dead_field dl-loop dl_attempts)" = 5
check "crash loop: dl_reason" test "$(dead_field dl-loop dl_reason)" = "dead_lettered:delivered 6 times"
check "crash loop: dl_claim_state sent" test "$(dead_field dl-loop dl_claim_state)" = sent
check "crash loop: dl_lane main" test "$(dead_field dl-loop dl_lane)" = main
check "crash loop: warning that an order may exist" log_has "plan dl-loop had been sent to the executor before"
check "crash loop: one result" test "$(result_count dl-loop)" = 1
check "crash loop: result executed=false" test "$(result_top dl-loop executed)" = false
check "crash loop: result error dead_lettered:delivered 6 times" \
	test "$(result_field dl-loop error)" = "dead_lettered:delivered 6 times"
check "crash loop: result guard dead_letter" test "$(result_field dl-loop guard)" = dead_letter
check "crash loop: claim state dead_lettered" test "$(claim_state dl-loop)" = dead_lettered
check "crash loop: done key set" test "$(redis-cli EXISTS quantum:intent_executor:done:dl-loop)" = 1
check "crash loop: entry acknowledged" test -z "$(entry_pending "$MAIN" intent_executor "$e")"
check "crash loop: counted (dead_lettered=$(metric dead_lettered))" test "$(metric dead_lettered)" = 1
check "crash loop: log names it" wait_log "Dead-lettered entry $e (plan_id=dl-loop): delivered 6 times (5 attempts were under way when their worker died" 2
w=$(status_get main pid)
sleep 1.2
check "crash loop: the worker now stays up" test "$(status_get main pid)" = "$w"
grant dl-loop
add_plan "$MAIN" dl-loop                # a copy, now with a permit
check "crash loop: a later copy is skipped as done" wait_log "Skip duplicate plan (already done): plan_id=dl-loop" 5
check "crash loop: still one result" test "$(result_count dl-loop)" = 1

# ------------------------------------------------- (2) taken over from a ghost
# ghost ID N: the entry, read by consumer "ghost" (1 delivery), is claimed
# by it again until its delivery count is N.
ghost() {
	local i
	for i in $(seq $(($2 - 1))); do redis-cli XCLAIM "$MAIN" intent_executor ghost 0 "$1" >/dev/null; done
}
grant dl-done; add_plan "$MAIN" dl-done
check "setup: dl-done executed" wait_result dl-done 5
stop_daemon                             # the entries below are made with no daemon running
ids=()
for p in dl-new dl-copy dl-five dl-sent dl-other dl-claimed dl-sent2; do
	grant "$p"
	ids+=("$(xadd_plan "$MAIN" "$p")")
done
ids+=("$(xadd_plan "$MAIN" dl-done)")   # a copy of a decided plan (ids[7])
redis-cli XREADGROUP GROUP intent_executor ghost STREAMS "$MAIN" '>' >/dev/null
ghost "${ids[0]}" 7                     # dl-new: 8 after the take-over
ghost "${ids[1]}" 3                     # dl-copy: 4, an ordinary take-over
ghost "${ids[2]}" 4                     # dl-five: 5 after the take-over, at the limit
ghost "${ids[3]}" 7                     # dl-sent: its request had left before
redis-cli HSET quantum:intent_executor:claim:dl-sent owner "$MAIN|${ids[3]}" lane main state sent attempts 5 >/dev/null
ghost "${ids[4]}" 7                     # dl-other: another entry owns the plan
redis-cli HSET quantum:intent_executor:claim:dl-other owner "$MAIN|1-1" lane main state claimed >/dev/null
ghost "${ids[7]}" 7                     # the dl-done copy
ghost "${ids[5]}" 7                     # dl-claimed: it only waited, its claim says so
redis-cli HSET quantum:intent_executor:claim:dl-claimed owner "$MAIN|${ids[5]}" lane main state claimed >/dev/null
ghost "${ids[6]}" 7                     # dl-sent2: two attempts died, below the limit
redis-cli HSET quantum:intent_executor:claim:dl-sent2 owner "$MAIN|${ids[6]}" lane main state sent attempts 2 >/dev/null
echo "info: ghost entries: $(redis-cli XPENDING "$MAIN" intent_executor - + 20 ghost | paste -sd' ')"
start_daemon INTENT_EXECUTOR_CLAIM_MIN_IDLE_MS=1000
check "take-over: the ghost's entries are taken over" wait_log "took over" 10
check "take-over: dl-new decided" wait_result dl-new 10
check "take-over: dl-new (never claimed) dead-lettered after 8 deliveries" \
	test "$(result_field dl-new error)" = "dead_lettered:delivered 8 times"
check "take-over: ... the log says it was never claimed" log_has "delivered 8 times (never claimed: it never got past its checks"
check "take-over: dl-new in $DEAD" test "$(dead_count dl-new)" = 1
check "take-over: dl-copy (4 deliveries) executed" wait_result dl-copy 5
check "take-over: dl-copy executed=true" test "$(result_top dl-copy executed)" = true
check "take-over: dl-five (5 deliveries: at the limit, not past it) executed" wait_result dl-five 5
check "take-over: dl-five executed=true" test "$(result_top dl-five executed)" = true
check "take-over: dl-sent dead-lettered" wait_result dl-sent 5
check "take-over: dl-sent dead entry says claim state sent" test "$(dead_field dl-sent dl_claim_state)" = sent
check "take-over: dl-sent: warning that an order may exist" wait_log "plan dl-sent had been sent to the executor before" 2
sleep 0.5
check "take-over: the decided plan's copy got no second result" test "$(result_count dl-done)" = 1
check "take-over: ... and is not in $DEAD" test "$(dead_count dl-done)" = 0
check "take-over: ... its copy was acknowledged" test -z "$(entry_pending "$MAIN" intent_executor "${ids[7]}")"
check "take-over: dl-claimed (8 deliveries, claimed: it only waited) executed" wait_result dl-claimed 5
check "take-over: ... executed=true, not in $DEAD" test "$(result_top dl-claimed executed)/$(dead_count dl-claimed)" = true/0
check "take-over: dl-sent2 (8 deliveries, 2 attempts died) executed" wait_result dl-sent2 5
check "take-over: ... executed=true, not in $DEAD" test "$(result_top dl-sent2 executed)/$(dead_count dl-sent2)" = true/0
check "take-over: dl-other (owned by another entry): no result" test "$(result_count dl-other)" = 0
check "take-over: ... not in $DEAD" test "$(dead_count dl-other)" = 0
check "take-over: ... acknowledged" test -z "$(entry_pending "$MAIN" intent_executor "${ids[4]}")"
check "take-over: counters: dead_lettered=3 ($(metric dead_lettered))" test "$(metric dead_lettered)" = 3
check "nothing pending on the main lane" test "$(pending_count "$MAIN" intent_executor)" = 0
check "no sandbox violation" bash -c "! grep -q 'sandbox violation' '$DLOG'"

# ------------------------------------------------- (3) the limit is a setting
stop_daemon
grant dl-one
e1=$(xadd_plan "$MAIN" dl-one)
redis-cli XREADGROUP GROUP intent_executor ghost STREAMS "$MAIN" '>' >/dev/null
start_daemon INTENT_EXECUTOR_CLAIM_MIN_IDLE_MS=1000 INTENT_EXECUTOR_MAX_DELIVERIES=1
check "MAX_DELIVERIES=1: taken over, a second delivery is past it" wait_result dl-one 10
check "MAX_DELIVERIES=1: dead_lettered:delivered 2 times" \
	test "$(result_field dl-one error)" = "dead_lettered:delivered 2 times"
check "MAX_DELIVERIES=1: the dead entry names the original id" test "$(dead_field dl-one dl_original_id)" = "$e1"

# ------------------------------ (4) under the ACL users of docs/redis-acl.conf
stop_daemon
stop_redis
mkdir -m 0700 "$T/cred"
for role in main manual; do
	grep "^user qie-$role " "$TOP/docs/redis-acl.conf" | sed "s/#<sha256-of-$role-password>/>pw-$role-x5/"
	printf 'pw-%s-x5\n' $role >"$T/cred/redis-password-$role"
done >"$T/users.acl"
echo "user default on nopass ~* &* +@all" >>"$T/users.acl"
chmod 0600 "$T/cred"/*
start_redis --aclfile "$T/users.acl"
start_daemon INTENT_EXECUTOR_CREDENTIALS_DIR="$T/cred" REDIS_USERNAME_MAIN=qie-main \
	REDIS_USERNAME_MANUAL=qie-manual INTENT_EXECUTOR_CLAIM_MIN_IDLE_MS=1000 \
	INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=60000
check "ACL: the main worker logs in as qie-main" log_has "lane main logs in to Redis as qie-main"
add_plan "$MAIN" dl-acl-wait            # held in memory past the idle time
check "ACL: a waiting plan is claimed" wait_claim_state dl-acl-wait claimed 5
stop_daemon                             # its entry stays pending, claimed
grant dl-acl
e2=$(xadd_plan "$MAIN" dl-acl)
redis-cli XREADGROUP GROUP intent_executor ghost STREAMS "$MAIN" '>' >/dev/null
ghost "$e2" 7
start_daemon INTENT_EXECUTOR_CREDENTIALS_DIR="$T/cred" REDIS_USERNAME_MAIN=qie-main \
	REDIS_USERNAME_MANUAL=qie-manual INTENT_EXECUTOR_CLAIM_MIN_IDLE_MS=1000 \
	INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=60000
check "ACL: dead-lettered as qie-main" wait_result dl-acl 10
check "ACL: dead_lettered:delivered 8 times" test "$(result_field dl-acl error)" = "dead_lettered:delivered 8 times"
check "ACL: in $DEAD" test "$(dead_count dl-acl)" = 1
# the waiting plan, read again, is kept fresh (XCLAIM JUSTID in a script):
# its idle time stays below INTENT_EXECUTOR_CLAIM_MIN_IDLE_MS and its
# delivery count does not grow (a take-over, even by itself, would count)
ew=$(redis-cli --json XRANGE "$MAIN" - + | jq -r '.[] | select(.[1] | index("dl-acl-wait")) | .[0]')
pw() { redis-cli --raw XPENDING "$MAIN" intent_executor IDLE 0 "$ew" "$ew" 1 | paste -sd' '; }
c1=$(pw | cut -d' ' -f4)
sleep 2.5
read -r _ owner idle c2 <<<"$(pw)"
echo "info: waiting plan's entry: owner $owner, idle $idle ms, deliveries $c1 then $c2"
check "ACL: the waiting plan's entry is kept fresh (idle $idle ms < 1000, owner $owner)" \
	test "$idle" -lt 1000 -a "$owner" = "$(consumer_of)"
check "ACL: ... without counting deliveries ($c1, $c2)" test "$c1" = "$c2"
grant dl-acl-wait
check "ACL: the waiting plan executes once its permit comes" wait_result dl-acl-wait 5
check "ACL: ... executed=true" test "$(result_top dl-acl-wait executed)" = true
check "ACL: no permission error in the log" bash -c "! grep -qi 'NOPERM\|no permissions\|fresh failed' '$DLOG'"
