#!/bin/bash
# The seed document's proofs A to F (../shared/seed/000_6e8683f5a0cf8cc7.txt),
# with its redis-cli commands verbatim (redis-cli talks to this test's
# redis-server).  Proof E uses a 2 s TTL instead of 30 s; the heartbeat runs
# every 2 s instead of 60 s; a permit is awaited 1 s instead of 8 s.
. "$(dirname "$0")/../lib.sh"

start_redis
start_daemon INTENT_EXECUTOR_HEARTBEAT_SEC=2

# --- 3. Verify Startup: the five lines, the configured ones first
startup=$(grep -E "Source allowlist|Manual lane TTL guard|MANUAL_LANE|Consuming M" "$DLOG")
check "startup: Source allowlist line" \
	grep -qF "Source allowlist: ['intent_bridge']" <<<"$startup"
check "startup: Manual lane TTL guard line" \
	grep -qF "Manual lane TTL guard: quantum:manual_lane:enabled" <<<"$startup"
check "startup: 🔒 MANUAL_LANE_OFF" grep -qF "🔒 MANUAL_LANE_OFF" <<<"$startup"
check "startup: 📨 Consuming MAIN" \
	grep -qF "📨 Consuming MAIN: quantum:stream:apply.plan" <<<"$startup"
check "startup: 📨 Consuming MANUAL" \
	grep -qF "📨 Consuming MANUAL: quantum:stream:apply.plan.manual" <<<"$startup"

# --- Proof A: Source Whitelist Blocks Non-Allowed Source
redis-cli XADD quantum:stream:apply.plan "*" \
  plan_id proof_blocked_001 \
  action FULL_CLOSE_PROPOSED \
  decision EXECUTE \
  symbol ETHUSDT \
  side SELL \
  type MARKET \
  qty 0.01 \
  reduceOnly true \
  source unauthorized \
  timestamp $(date +%s) >/dev/null
check "A: skip line" wait_log \
	"🚫 [lane=main] Skip plan (source_not_allowed): plan_id=proof_bl source=unauthorized allowlist=['intent_bridge']"
check "A: result entry" wait_result proof_blocked_001
check "A: blocked_source = 1" test "$(redis-cli HGET quantum:metrics:intent_executor blocked_source)" = 1
check "A: result error" test "$(result_field proof_blocked_001 error)" = "source_not_allowed:unauthorized"
check "A: not executed" test "$(result_field proof_blocked_001 executed)" = false
check "A: one result" test "$(result_count proof_blocked_001)" = 1
check "A: decided by the lane guard" test "$(result_field proof_blocked_001 guard)" = lane
check "A: not counted as processed" test "$(metric processed)" = 0

# --- Proof B: Source Whitelist Allows intent_bridge
redis-cli XADD quantum:stream:apply.plan "*" \
  plan_id proof_allowed_001 \
  action FULL_CLOSE_PROPOSED \
  decision EXECUTE \
  symbol ETHUSDT \
  side SELL \
  type MARKET \
  qty 0.01 \
  reduceOnly true \
  source intent_bridge \
  timestamp $(date +%s) >/dev/null
check "B: processing line" wait_log "▶️  Processing plan: proof_al | ETHUSDT SELL qty=0.0100"
check "B: waiting line" wait_log "⏳ Waiting for P3.3 permit: proof_al"
check "B: processed incremented" test "$(redis-cli HGET quantum:metrics:intent_executor processed)" = 1
check "B: result after the permit timeout" wait_result proof_allowed_001 5
check "B: result error" test "$(result_field proof_allowed_001 error)" = p33_permit_missing_or_denied
check "B: not executed" test "$(result_field proof_allowed_001 executed)" = false

# --- Proof C: Manual Lane OFF - Plans Blocked
check "C: lane key absent" test -z "$(redis-cli GET quantum:manual_lane:enabled)"
redis-cli XADD quantum:stream:apply.plan.manual "*" \
  plan_id proof_manual_off_001 \
  action FULL_CLOSE_PROPOSED \
  decision EXECUTE \
  symbol ETHUSDT \
  side SELL \
  type MARKET \
  qty 0.01 \
  reduceOnly true \
  source manual_test \
  timestamp $(date +%s) >/dev/null
check "C: skip line" wait_log "🚫 [lane=manual] Skip plan (manual_lane_disabled): plan_id=proof_ma ttl=0"
check "C: result entry" wait_result proof_manual_off_001
check "C: manual_blocked_disabled = 1" test "$(redis-cli HGET quantum:metrics:intent_executor manual_blocked_disabled)" = 1
check "C: result error" test "$(result_field proof_manual_off_001 error)" = manual_lane_disabled

# --- Proof D: Manual Lane ON - Plans Processed
redis-cli SETEX quantum:manual_lane:enabled 1200 1 >/dev/null
ttl=$(redis-cli TTL quantum:manual_lane:enabled)
check "D: TTL 1200 or slightly less" test "$ttl" -ge 1190 -a "$ttl" -le 1200
redis-cli XADD quantum:stream:apply.plan.manual "*" \
  plan_id proof_manual_on_001 \
  action FULL_CLOSE_PROPOSED \
  decision EXECUTE \
  symbol ETHUSDT \
  side SELL \
  type MARKET \
  qty 0.01 \
  reduceOnly true \
  source manual_test \
  timestamp $(date +%s) >/dev/null
check "D: consuming line" wait_log "🔓 [lane=manual] Consuming manual plan: proof_ma"
check "D: processing line" wait_log "▶️  Processing plan: proof_ma | ETHUSDT SELL qty=0.0100"
check "D: waiting line" wait_log "⏳ Waiting for P3.3 permit: proof_ma"
check "D: manual_consumed incremented" test "$(redis-cli HGET quantum:metrics:intent_executor manual_consumed)" = 1
check "D: processed incremented" test "$(redis-cli HGET quantum:metrics:intent_executor processed)" = 2
check "D: heartbeat shows the lane active" wait_log "🔓 MANUAL_LANE_ACTIVE ttl_remaining=" 5
check "D: result after the permit timeout" wait_result proof_manual_on_001 5
check "D: manual_processed incremented" test "$(metric manual_processed)" = 1

# --- Proof E: Manual Lane TTL Expires - Automatic Shutoff (2 s TTL)
redis-cli SETEX quantum:manual_lane:enabled 2 1 >/dev/null
sleep 3
check "E: key expired" test -z "$(redis-cli GET quantum:manual_lane:enabled)"
offs_before=$(grep -cF "🔒 MANUAL_LANE_OFF" "$DLOG")
redis-cli XADD quantum:stream:apply.plan.manual "*" \
  plan_id proof_manual_expired_001 \
  action FULL_CLOSE_PROPOSED \
  decision EXECUTE \
  symbol ETHUSDT \
  side SELL \
  type MARKET \
  qty 0.01 \
  reduceOnly true \
  source manual_test \
  timestamp $(date +%s) >/dev/null
check "E: skip line" wait_log "🚫 [lane=manual] Skip plan (manual_lane_disabled): plan_id=proof_ma ttl=0" 10 2
check "E: 🔒 MANUAL_LANE_OFF follows" wait_log "🔒 MANUAL_LANE_OFF" 5 $((offs_before + 1))
check "E: result error" test "$(result_field proof_manual_expired_001 error)" = manual_lane_disabled
check "E: not executed" test "$(result_field proof_manual_expired_001 executed)" = false

# --- Proof F: Heartbeat Metrics Summary
check "F: heartbeat metrics line" wait_log "📊 Metrics: processed=2 executed_true=0 executed_false=2 blocked_source=1" 5
all=$(redis-cli HGETALL quantum:metrics:intent_executor)
for f in processed executed_true executed_false blocked_source manual_consumed \
	manual_blocked_disabled manual_processed; do
	[ "$f" = executed_true ] && continue    # no permit was granted in A-E
	check "F: HGETALL has $f" grep -qx "$f" <<<"$all"
done
check "F: processed = executed_true + executed_false" \
	test "$(metric processed)" -eq $(($(metric executed_true) + $(metric executed_false)))
check "F: manual_blocked_disabled = 2" test "$(metric manual_blocked_disabled)" = 2

# every plan read was acknowledged
check "nothing pending on the main lane" test "$(pending_count $MAIN intent_executor)" = 0
check "nothing pending on the manual lane" test "$(pending_count $MANUAL intent_executor_manual)" = 0
