/*
 * keys.h - the Redis key names the daemon and qiectl share, each spelt
 * here once.  A name ending in ':' is a prefix: the plan_id, the symbol
 * or the lane's name (lane_name(): main, manual, harvest) follows.  The plan streams and the result stream are settings
 * (common/config.c); a lane's dead-letter stream is its stream's name
 * followed by KEY_DEAD_SUFFIX.
 *
 * Header only: no code.
 */
#ifndef QIE_KEYS_H
#define QIE_KEYS_H

/* the counters (HINCRBY), read by qiectl metrics */
#define KEY_METRICS "quantum:metrics:intent_executor"
/* "1" with a TTL while the manual lane is open (qiectl manual-lane) */
#define KEY_MANUAL_LANE "quantum:manual_lane:enabled"
/* ACTIVE (or absent), REDUCING, HALTED (qiectl halt/reduce/resume) */
#define KEY_TRADING_STATE "quantum:intent_executor:trading_state"
/* + lane name: that lane's circuit breaker, its run of failed orders */
#define KEY_BREAKER "quantum:intent_executor:breaker:consecutive_failures:"
/* + lane name: why that lane's breaker halted it (absent: not halted) */
#define KEY_BREAKER_HALT "quantum:intent_executor:breaker:halted:"
/* the symbols whose position drifted from what the executor expected:
 * field symbol, value JSON (workers/drift.c writes, qiectl drift clears) */
#define KEY_DRIFT "quantum:intent_executor:drift"
/* who changed the trading state or the manual lane, and why */
#define KEY_AUDIT_STREAM "quantum:stream:intent_executor.audit"

/* + plan_id: the plan has its result */
#define KEY_DONE "quantum:intent_executor:done:"
/* + plan_id: the claim hash (owner, lane, state) */
#define KEY_CLAIM "quantum:intent_executor:claim:"
/* + plan_id: the risk service's permit */
#define KEY_PERMIT "quantum:permit:p33:"
/* + symbol: the plan_id of the order being placed */
#define KEY_INFLIGHT "quantum:inflight:"
/* + symbol: when an order of the symbol last executed (unix ms) */
#define KEY_COOLDOWN "quantum:cooldown:last_exec_ts:"

/* the position ledger (CONTRACT.md, "Position ledger"; workers/position.c),
 * written with a fill's result by the settle script: */
/* + symbol: the hash of the symbol's position (ledger_amt, entry_price...) */
#define KEY_LEDGER "quantum:position:ledger:"
/* the set of the order ids the ledger has counted (each once) */
#define KEY_SEEN_ORDERS "quantum:ledger:seen_orders"
/* + symbol: other services' position keys, deleted when it goes flat */
#define KEY_STATE_POSITIONS "quantum:state:positions:"
#define KEY_POSITION_SNAPSHOT "quantum:position:snapshot:"
#define KEY_POSITION "quantum:position:"
/* a closed position's entry (XADD MAXLEN ~ 1000), when it goes flat */
#define KEY_TRADE_CLOSED "quantum:stream:trade.closed"

/* a lane's stream name + this: its dead-letter stream */
#define KEY_DEAD_SUFFIX ".dead"

#endif
