/*
 * coid.h - the exchange client order id of a plan, derived from plan_id
 * alone so that every process and every restart derives the same one.
 */
#ifndef QIE_COID_H
#define QIE_COID_H

#include "msg.h"

/*
 * "qie-<plan_id>" when plan_id is 1..32 characters of [.A-Z:/a-z0-9_-];
 * otherwise "qih-" and the first 32 hex digits of SHA-256(plan_id).
 * Always within the exchange's charset and 36 characters.
 */
void client_order_id(const char *plan_id, char out[CLIENT_ORDER_ID_MAX + 1]);

#endif
