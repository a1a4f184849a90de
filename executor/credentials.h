/*
 * credentials.h - the Binance API key and secret of the executor.
 *
 * Read once, at the very start of the executor, from the files
 * binance-api-key and binance-api-secret in INTENT_EXECUTOR_CREDENTIALS_DIR
 * or systemd's $CREDENTIALS_DIRECTORY (LoadCredential=), else from the
 * original's BINANCE_TESTNET_API_KEY / BINANCE_TESTNET_API_SECRET (with a
 * warning).  Never logs, formats or returns the secret in a message.
 */
#ifndef QIE_CREDENTIALS_H
#define QIE_CREDENTIALS_H

#include <stddef.h>

#define CRED_MAX 256

struct credentials {
	char key[CRED_MAX];
	char secret[CRED_MAX];
	size_t key_len, secret_len;
	char where[160];        /* "files in /run/credentials/x", for the log */
};

/*
 * Fills c.  0 when both are present; -1 with what is missing or invalid in
 * err (never the secret itself).  A present but invalid value (empty,
 * control characters, too long, unreadable file) is always -1.
 */
int credentials_load(struct credentials *c, char *err, size_t errlen);

/* Validates one value of len bytes: printable ASCII without spaces. */
int credential_valid(const char *v, size_t len, const char **why);

/* Overwrites both values with zeros. */
void credentials_wipe(struct credentials *c);

#endif
