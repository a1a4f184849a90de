#!/bin/bash
# qiectl against a real redis-server and the running daemon: every command,
# --json on every read command, the manual-lane TTL cap and its audit
# entries, plan inject end to end, and the exit codes (0 ok, 1 runtime
# failure, 2 usage or validation error).
. "$(dirname "$0")/../lib.sh"

AUDIT=quantum:stream:intent_executor.audit
KEY=quantum:manual_lane:enabled
audit_len() { redis-cli XLEN $AUDIT; }
# last_audit FIELD: a field of the newest audit entry
last_audit() {
	redis-cli --json XREVRANGE $AUDIT + - COUNT 1 |
		jq -r --arg k "$1" '.[0][1] | . as $f | [range(0; length; 2)] |
			map(select($f[.] == $k) | $f[. + 1]) | .[0] // empty'
}
json_ok() { jq -e "$1" >/dev/null <<<"$Q_OUT"; }

ensure_role_users || { fail "role users"; exit 0; }
start_redis

# --- usage errors: exit 2, a message on stderr, nothing changed
check "--help: exit 0 and usage" bash -c '"$1/qiectl" --help | grep -q "manual-lane enable"' _ "$BUILD"
check "--version" bash -c '"$1/qiectl" --version | grep -q "^qiectl "' _ "$BUILD"
check "no command: exit 2" q_rc 2
check "unknown command: exit 2" q_rc 2 frobnicate
check "  names it" grep -q 'unknown command "frobnicate"' <<<"$Q_ERR"
check "unknown option: exit 2" q_rc 2 status --bogus
check "  names it" grep -q "unknown option --bogus" <<<"$Q_ERR"
check "manual-lane without enable/disable: exit 2" q_rc 2 manual-lane
check "stray argument: exit 2" q_rc 2 metrics extra
check "option without its value: exit 2" q_rc 2 manual-lane enable --ttl
check "status --results x: exit 2" q_rc 2 status --results x
check "--prometheus with --json: exit 2" q_rc 2 metrics --prometheus --json
check "command --help: exit 0" q_rc 0 manual-lane enable --help
QENV=(REDIS_PORT=notaport); check "invalid REDIS_PORT: exit 2" q_rc 2 metrics; QENV=()
check "  names the setting" grep -q "REDIS_PORT" <<<"$Q_ERR"
check "missing --env-file: exit 2" q_rc 2 --env-file "$T/nope.env" metrics

# --- TTL cap and argument checks of manual-lane enable: exit 2, no change
before=$(audit_len)
for ttl in 2h 3601 0 abc 1h30 -5 ""; do
	check "enable --ttl '$ttl' refused (exit 2)" q_rc 2 manual-lane enable --ttl "$ttl" --operator alice --reason test
done
qiectl_run manual-lane enable --ttl 2h --operator a --reason r
check "  the refusal names the cap" grep -q "above the maximum of 3600 s.*INTENT_EXECUTOR_MANUAL_MAX_TTL_SEC" <<<"$Q_ERR"
check "enable without --operator: exit 2" q_rc 2 manual-lane enable --ttl 60 --reason r
check "enable without --reason: exit 2" q_rc 2 manual-lane enable --ttl 60 --operator a
check "enable with a bad operator name: exit 2" q_rc 2 manual-lane enable --ttl 60 --operator "a b" --reason r
check "enable with a control character in the reason: exit 2" \
	q_rc 2 manual-lane enable --ttl 60 --operator a --reason $'two\nlines'
check "disable with --ttl: exit 2" q_rc 2 manual-lane disable --ttl 60 --operator a --reason r
check "refusals leave the key unset" test "$(redis-cli EXISTS $KEY)" = 0
check "refusals write no audit entry" test "$(audit_len)" = "$before"

QENV=(INTENT_EXECUTOR_MANUAL_MAX_TTL_SEC=60)
check "a lower cap from the environment refuses 61 s" q_rc 2 manual-lane enable --ttl 61 --operator a --reason r
QENV=()
printf 'INTENT_EXECUTOR_MANUAL_MAX_TTL_SEC=120\nREDIS_PORT=%s\n' "$RPORT" >"$T/cap.env"
Q_OUT=$("$BUILD/qiectl" --env-file "$T/cap.env" manual-lane enable --ttl 3m --operator a --reason r 2>&1); rc=$?
check "a cap from --env-file refuses 3m (exit 2)" test $rc = 2

# --- Redis down: exit 1, naming Redis
QENV=(REDIS_PORT=1)
check "status with Redis down: exit 1" q_rc 1 status
check "  names redis" grep -q "redis 127.0.0.1:1" <<<"$Q_ERR"
check "metrics with Redis down: exit 1" q_rc 1 metrics
check "enable with Redis down: exit 1" q_rc 1 manual-lane enable --ttl 60 --operator a --reason r
check "inject with Redis down: exit 1" q_rc 1 plan inject --symbol ETHUSDT --side SELL --qty 0.01
QENV=()

# --- daemon not running: status exits 1 but shows Redis's side
check "status without the daemon: exit 1" q_rc 1 --json status
check "  says not running" json_ok '.daemon.running == false and .redis_ok == true'

start_daemon || { fail "daemon did not start"; exit 0; }

# --- status
check "status: exit 0" q_rc 0 status
check "  shows the processes" grep -qE "^executor +$(status_get executor pid) +qie-executor" <<<"$Q_OUT"
check "  shows the three lanes" bash -c 'grep -q "^main .*quantum:stream:apply.plan " <<<"$1" && grep -q "^manual .*quantum:stream:apply.plan.manual" <<<"$1" && grep -q "^harvest .*quantum:stream:harvest.intent" <<<"$1"' _ "$Q_OUT"
check "  shows the harvest worker" grep -qE "^harvest +$(status_get harvest pid) +qie-harvest" <<<"$Q_OUT"
check "  manual lane OFF" grep -q "manual lane: OFF" <<<"$Q_OUT"
check "  the daemon's state (systemd's STATUS=)" grep -qx "state: ready: main, manual and harvest lanes consuming, executor up (backend paper)" <<<"$Q_OUT"
check "status --json: exit 0" q_rc 0 status --json
check "  running, five processes" json_ok '.daemon.running and (.processes | length) == 5'
check "  uids are the role users'" json_ok "(.processes[] | select(.role == \"executor\") | .uid) == $(id -u qie-executor) and
	(.processes[] | select(.role == \"main\") | .uid) == $(id -u qie-main) and
	(.processes[] | select(.role == \"manual\") | .uid) == $(id -u qie-manual) and
	(.processes[] | select(.role == \"harvest\") | .uid) == $(id -u qie-harvest)"
check "  pids match the status file" json_ok "(.processes[] | select(.role == \"main\") | .pid) == $(status_get main pid)"
check "  restarts and last death" json_ok '(.processes[] | select(.role == "main") | .restarts == 0 and .last_death == null)'
check "  hangs and state" json_ok '(.processes[] | select(.role == "main") | .hangs == 0) and (.daemon.state | startswith("ready: "))'
check "  groups exist" json_ok '[.lanes[].group_exists] == [true, true, true]'

# --- manual lane enable: SETEX, audit entry
n0=$(audit_len); t0=$(date +%s)
check "enable --ttl 20m: exit 0" q_rc 0 manual-lane enable --ttl 20m --operator alice --reason "seed proof D"
ttl=$(redis-cli TTL $KEY)
check "  key holds 1" test "$(redis-cli GET $KEY)" = 1
check "  TTL about 1200 s ($ttl)" test "$ttl" -ge 1195 -a "$ttl" -le 1200
check "  one audit entry" test "$(audit_len)" = $((n0 + 1))
check "  audit: action" test "$(last_audit action)" = manual_lane.enable
check "  audit: operator" test "$(last_audit operator)" = alice
check "  audit: reason" test "$(last_audit reason)" = "seed proof D"
check "  audit: ttl_sec" test "$(last_audit ttl_sec)" = 1200
u=$(last_audit until)
check "  audit: until = now + ttl" test "$u" -ge $((t0 + 1200)) -a "$u" -le $(($(date +%s) + 1200))
check "  audit: by whom" test "$(last_audit by)" = "$(id -un)"
qiectl_run status
check "status: manual lane ON with time left" grep -qE "manual lane: ON, (19m|20m)" <<<"$Q_OUT"
qiectl_run --json status
check "status --json: enabled, ttl, until" json_ok '.manual_lane.enabled and .manual_lane.ttl > 1100 and .manual_lane.until > 0'
check "enable --ttl 3600 (the cap itself): exit 0" q_rc 0 manual-lane enable --ttl 3600 --operator alice --reason "cap"
check "enable --json" q_rc 0 --json manual-lane enable --ttl 90s --operator alice --reason again
check "  JSON result" json_ok '.enabled and .ttl_sec == 90 and (.audit_id | test("^[0-9]+-[0-9]+$"))'

# --- plan inject into the manual lane: the daemon runs it
check "inject --manual: exit 0" q_rc 0 plan inject --manual --symbol ethusdt --side sell --qty 0.0100 --plan-id qiectl_manual_1
grant qiectl_manual_1
check "  entry in the manual stream" grep -qx qiectl_manual_1 <<<"$(redis-cli XRANGE quantum:stream:apply.plan.manual - +)"
check "  the daemon decides it" wait_result qiectl_manual_1
check "  executed (paper)" test "$(result_field qiectl_manual_1 executed)" = true
check "  on the manual lane" test "$(result_field qiectl_manual_1 lane)" = manual
check "  symbol upper-cased, qty normalised" test "$(result_field qiectl_manual_1 symbol)/$(result_field qiectl_manual_1 qty)" = ETHUSDT/0.01
qiectl_run --json status --results 3
check "status shows it among the last results" json_ok '[.results[].plan_id] | index("qiectl_manual_1") != null'

# --- disable: DEL, audit entry; a manual plan is then skipped
n0=$(audit_len)
check "disable: exit 0" q_rc 0 --json manual-lane disable --operator bob --reason "done"
check "  key deleted" test "$(redis-cli EXISTS $KEY)" = 0
check "  JSON says it was enabled" json_ok '.was_enabled == true and .enabled == false'
check "  audit entry" test "$(audit_len)" = $((n0 + 1)) -a "$(last_audit action)" = manual_lane.disable
check "  audit: operator and reason" test "$(last_audit operator)/$(last_audit reason)" = bob/done
check "disable again: exit 0, was off" q_rc 0 manual-lane disable --operator bob --reason again
check "  says so" grep -q "already off" <<<"$Q_OUT"
check "inject --manual while off: exit 0 with a warning" q_rc 0 plan inject --manual --symbol ETHUSDT --side SELL --qty 0.01 --plan-id qiectl_manual_off
check "  warning names the guard" grep -q "manual_lane_disabled" <<<"$Q_ERR"
check "  the daemon skips it" wait_result qiectl_manual_off
check "  with manual_lane_disabled" test "$(result_field qiectl_manual_off error)" = manual_lane_disabled

# --- a raw SETEX above the cap: qiectl and the daemon both treat it as off
redis-cli SETEX $KEY 7200 1 >/dev/null
qiectl_run --json status
check "raw SETEX 7200: status says off, and why" json_ok '.manual_lane.enabled == false and (.manual_lane.note | test("MAX_TTL"))'
qiectl_run metrics --prometheus
check "  the gauge says off" grep -qx "quantum_intent_executor_manual_lane_enabled 0" <<<"$Q_OUT"
check "  inject warns" q_rc 0 plan inject --manual --symbol ETHUSDT --side SELL --qty 0.01 --plan-id qiectl_manual_long
check "  the warning" grep -q "manual_lane_disabled" <<<"$Q_ERR"
grant qiectl_manual_long
check "  the daemon decides it" wait_result qiectl_manual_long
check "  as manual_lane_disabled" test "$(result_field qiectl_manual_long error)" = manual_lane_disabled
check "  and says why in its log" wait_log "above INTENT_EXECUTOR_MANUAL_MAX_TTL_SEC" 5
redis-cli DEL $KEY >/dev/null

# --- plan inject into the main lane
check "inject main, allowed source: exit 0" q_rc 0 --json plan inject --symbol BTCUSDT --side BUY --qty 0.002 --source intent_bridge --plan-id qiectl_main_1
check "  JSON: stream, entry id, no warning" json_ok '.stream == "quantum:stream:apply.plan" and (.entry_id | test("-")) and (.warnings | length) == 0'
check "  reduceOnly defaults to true" test "$(redis-cli XRANGE quantum:stream:apply.plan - + | grep -A1 -x reduceOnly | tail -n 1)" = true
grant qiectl_main_1
check "  the daemon decides it" wait_result qiectl_main_1
check "  executed" test "$(result_field qiectl_main_1 executed)" = true
check "inject main, default source: warning source_not_allowed" q_rc 0 plan inject --symbol ETHUSDT --side SELL --qty 0.01 --plan-id qiectl_main_src
check "  warning" grep -q "source_not_allowed" <<<"$Q_ERR"
check "  the daemon skips it" wait_result qiectl_main_src
check "  as source_not_allowed" test "$(result_field qiectl_main_src error)" = source_not_allowed:manual_operator
check "inject a decided plan_id again: warning" q_rc 0 plan inject --symbol BTCUSDT --side BUY --qty 0.002 --source intent_bridge --plan-id qiectl_main_1
check "  warning" grep -q "already decided" <<<"$Q_ERR"
check "inject without --plan-id makes one (32 hex: 128 random bits)" q_rc 0 --json plan inject --symbol TRXUSDT --side BUY --qty 10 --source intent_bridge
check "  generated plan_id" json_ok '.plan_id | test("^[0-9a-f]{32}$")'
n0=$(redis-cli XLEN quantum:stream:apply.plan)
for args in "--symbol DOGEUSDT --side BUY --qty 1" "--symbol ETH-USDT --side BUY --qty 1" \
	"--symbol ETHUSDT --side HOLD --qty 1" "--symbol ETHUSDT --side BUY --qty 0" \
	"--symbol ETHUSDT --side BUY --qty -1" "--symbol ETHUSDT --side BUY --qty 1e3" \
	"--symbol ETHUSDT --side BUY --qty abc" "--symbol ETHUSDT --side BUY --qty 1 --reduce-only maybe" \
	"--side BUY --qty 1" "--symbol ETHUSDT --qty 1" "--symbol ETHUSDT --side BUY" \
	"--symbol ETHUSDT --side BUY --qty 1 --plan-id a\ b" "--symbol ETHUSDT --side BUY --qty 1 --source x\ y"; do
	eval "set -- $args"
	check "inject $args: exit 2" q_rc 2 plan inject "$@"
done
check "refused plans were not added" test "$(redis-cli XLEN quantum:stream:apply.plan)" = "$n0"
check "plan without inject: exit 2" q_rc 2 plan --symbol ETHUSDT

# --- what others wrote in Redis reaches the terminal without escapes
redis-cli XADD quantum:stream:apply.result '*' event_type apply.result \
	plan_id $'evil\e[31m' symbol ETHUSDT executed false timestamp "$(date +%s)" \
	details '{"error": "x\u001b[2J", "lane": "main"}' >/dev/null
no_esc() { ! grep -q $'\e' <<<"$Q_OUT"; }
check "status with a hostile result entry: exit 0" q_rc 0 status --results 1
check "  no escape character printed" no_esc
no_u001b() { ! grep -qF '\u001b' <<<"$Q_OUT"; }
qiectl_run --json status --results 1
check "  nor in --json" no_u001b
check "enable with a UTF-8 reason" q_rc 0 manual-lane enable --ttl 60 --operator alice --reason "café: test"
check "  kept as UTF-8 in the audit" test "$(last_audit reason)" = "café: test"
check "enable with invalid UTF-8 in the reason: exit 2" q_rc 2 manual-lane enable --ttl 60 --operator alice --reason $'bad \xff'
redis-cli DEL $KEY >/dev/null

# --- metrics
check "metrics: exit 0" q_rc 0 metrics
check "  table has processed = the hash's" grep -qE "^processed +$(metric processed)\$" <<<"$Q_OUT"
check "  every contract counter" bash -c 'for f in processed executed_true executed_false blocked_source manual_consumed manual_blocked_disabled manual_processed p35_guard_blocked; do grep -q "^$f " <<<"$1" || exit 1; done' _ "$Q_OUT"
check "metrics --json: exit 0" q_rc 0 metrics --json
check "  values are the hash's" json_ok ".metrics.processed == $(metric processed) and .metrics.blocked_source == $(metric blocked_source) and .metrics.p35_guard_blocked == $(metric p35_guard_blocked)"
redis-cli HSET quantum:metrics:intent_executor some.new-field 7 >/dev/null
check "metrics --prometheus: exit 0" q_rc 0 metrics --prometheus
check "  processed_total" grep -qx "quantum_intent_executor_processed_total $(metric processed)" <<<"$Q_OUT"
check "  TYPE counter lines" grep -qx "# TYPE quantum_intent_executor_executed_true_total counter" <<<"$Q_OUT"
check "  an unknown field, name sanitised" grep -qx "quantum_intent_executor_some_new_field_total 7" <<<"$Q_OUT"
check "  manual lane gauge" grep -qx "quantum_intent_executor_manual_lane_enabled 0" <<<"$Q_OUT"
check "  every line valid exposition format" bash -c '! grep -vE "^(# (HELP|TYPE) [a-z0-9_]+ .+|[a-z0-9_]+ [0-9]+)$" <<<"$1"' _ "$Q_OUT"
check "  HELP and TYPE once per metric" test "$(grep -c '^# TYPE' <<<"$Q_OUT")" = "$(grep -vc '^#' <<<"$Q_OUT")"

# --- audit
check "audit: exit 0" q_rc 0 audit
check "  lists the operators" bash -c 'grep -q alice <<<"$1" && grep -q bob <<<"$1"' _ "$Q_OUT"
check "audit --json --count 2" q_rc 0 --json audit --count 2
check "  two entries, newest first" json_ok 'length == 2 and .[0].reason == "café: test" and .[0].id > .[1].id'
check "audit --count 0: exit 2" q_rc 2 audit --count 0

# --- options anywhere, env file for the address
printf 'REDIS_PORT=%s\n' "$RPORT" >"$T/q.env"
Q_OUT=$("$BUILD/qiectl" metrics --json --env-file "$T/q.env" 2>/dev/null); rc=$?
check "--env-file and --json after the command" test $rc = 0
check "  JSON" json_ok '.metrics | has("processed")'

# --- daemon stopped: status says so, exit 1
stop_daemon
check "status after the daemon stopped: exit 1" q_rc 1 status
check "  NOT RUNNING" grep -q "NOT RUNNING" <<<"$Q_OUT"
