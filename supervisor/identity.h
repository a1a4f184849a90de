/*
 * identity.h - the uid and gid each child runs under, and the environment
 * each child is given: only what its role needs.
 */
#ifndef QIE_IDENTITY_H
#define QIE_IDENTITY_H

#include <sys/types.h>

#include "children.h"

/*
 * As root, or as a user holding CAP_SETUID and CAP_SETGID (the unit's
 * User=qie-supervisor with AmbientCapabilities=): resolves
 * INTENT_EXECUTOR_USER_* (a name or a numeric uid) and refuses (fatal,
 * naming the setting) a user that does not exist, is root, is the
 * supervisor's own, or is shared by two roles.  Otherwise: warns loudly
 * that the lanes are not isolated by uid, and demote stays 0.
 */
void identity_resolve(const struct settings *s, struct identity *id);

/* The environment of a role (NULL-terminated, static). */
char **role_env(enum role role);

#endif
