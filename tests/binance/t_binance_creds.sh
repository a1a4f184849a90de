#!/bin/bash
# t_binance_creds.sh - where the binance backend takes its credentials
# from (INTENT_EXECUTOR_CREDENTIALS_DIR, systemd's CREDENTIALS_DIRECTORY,
# the original's environment variables with a warning), what it says when
# they are missing or bad, and that the secret shows up nowhere.
. "$(dirname "$0")/../lib.sh"

start_redis
start_fake
fake_creds

executor_fatal() {
	start_daemon_bg "$@"
	wait_log "FATAL executor" 10
	local line; line=$(grep "FATAL executor" "$DLOG" | head -n 1)
	stop_daemon
	echo "$line"
}

mkdir -p "$T/none"
line=$(executor_fatal INTENT_EXECUTOR_CREDENTIALS_DIR="$T/none")
check "none at all: fatal, naming both files and both variables" \
	bash -c "[[ '$line' == *'missing binance-api-key and binance-api-secret'*BINANCE_TESTNET_API_KEY/BINANCE_TESTNET_API_SECRET* ]]"

mkdir -p "$T/half"; cp "$CRED_DIR/binance-api-key" "$T/half/"
line=$(executor_fatal INTENT_EXECUTOR_CREDENTIALS_DIR="$T/half")
check "key only: fatal, naming the secret" \
	bash -c "[[ '$line' == *'missing binance-api-secret'* && '$line' != *'binance-api-key'* ]]"

mkdir -p "$T/empty"; cp "$CRED_DIR/binance-api-key" "$T/empty/"; printf '\n' >"$T/empty/binance-api-secret"
line=$(executor_fatal INTENT_EXECUTOR_CREDENTIALS_DIR="$T/empty")
check "empty secret file: fatal, says empty" \
	bash -c "[[ '$line' == *'binance-api-secret: empty'* ]]"

line=$(executor_fatal INTENT_EXECUTOR_CREDENTIALS_DIR="$T/none" BINANCE_TESTNET_API_KEY="$FX_KEY")
check "environment key only: fatal, naming the secret's file and variable" \
	bash -c "[[ '$line' == *'missing binance-api-secret'*BINANCE_TESTNET_API_SECRET* ]]"

# The original's environment variables: they work, with a warning.
start_daemon_binance INTENT_EXECUTOR_CREDENTIALS_DIR= \
	BINANCE_TESTNET_API_KEY="$FX_KEY" BINANCE_TESTNET_API_SECRET="$FX_SECRET"
fx_plan c_env_01 symbol ETHUSDT side SELL qty 0.01
check "environment credentials: executed" [ "$(result_field c_env_01 executed)" = true ]
check "environment credentials: warned" log_has "BINANCE_TESTNET_API_SECRET read from the environment"
pid=$(executor_pid)
if [ -r "/proc/$pid/environ" ] && tr '\0' '\n' <"/proc/$pid/environ" >/dev/null 2>&1; then
	check "environment secret erased from the executor's environment" \
		bash -c "! tr '\0' '\n' </proc/$pid/environ | grep -qF '$FX_SECRET'"
fi
for lane in main manual; do
	wpid=$(awk -v r="$lane" '$1 == r {sub("pid=", "", $2); print $2}' "$T/status")
	if [ -r "/proc/$wpid/environ" ]; then
		check "lane $lane: no credential in its environment" \
			bash -c "! tr '\0' '\n' </proc/$wpid/environ | grep -q BINANCE_TESTNET"
	fi
done
stop_daemon

# systemd LoadCredential=: $CREDENTIALS_DIRECTORY.
start_daemon_binance INTENT_EXECUTOR_CREDENTIALS_DIR= CREDENTIALS_DIRECTORY="$CRED_DIR"
fx_plan c_sysd_01 symbol ETHUSDT side SELL qty 0.01
check "CREDENTIALS_DIRECTORY: executed" [ "$(result_field c_sysd_01 executed)" = true ]
check "CREDENTIALS_DIRECTORY: no environment warning" bash -c "! grep -q 'read from the environment' '$DLOG'"
stop_daemon

# A wrong secret: the exchange refuses the signature; nothing is sent.
mkdir -p "$T/wrong"; cp "$CRED_DIR/binance-api-key" "$T/wrong/"
printf 'not-the-right-secret\n' >"$T/wrong/binance-api-secret"
start_daemon_binance INTENT_EXECUTOR_CREDENTIALS_DIR="$T/wrong"
fx_plan c_bad_01 symbol ETHUSDT side SELL qty 0.01
check "wrong secret: the exchange's error, nothing sent" \
	bash -c "[[ '$(result_field c_bad_01 error)' == 'binance_error:-1022:Signature for this request is not valid.'*'nothing sent'* ]]"
check "wrong secret: no order request" [ "$(fake_posts qie-c_bad_01)" = 0 ]
check "no secret in any log line" \
	bash -c "! grep -qF -e '$FX_SECRET' -e not-the-right-secret '$DLOG'"
