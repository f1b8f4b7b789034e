/*
 * ledger_count.h — the report's ledger aggregates (store.h: STORE_AGG_RELAYS,
 * STORE_AGG_REPLIES, STORE_AGG_DONE_TIME, STORE_AGG_UPDATES) counted in one
 * pass over the rows, in memory.
 *
 * SQLite has no hash aggregation: each GROUP BY over a campaign's ledger
 * sorts every row, and the three aggregates sorted a 1,000,000-row ledger
 * three times (1.5 s of a 2 s report).  A backend feeds each row once to
 * ledger_count_add() and emits the rows the SQL of store_pg.c gives, in
 * the same order (the conformance suite holds both to it).  Memory: one
 * entry per relay, per reply, per minute and per second of the campaign
 * that a row was last updated in.
 */
#ifndef MAILCAST_STORE_LEDGER_COUNT_H
#define MAILCAST_STORE_LEDGER_COUNT_H

#include <stdint.h>

#include "store/store.h"

struct ledger_count;

struct ledger_count *ledger_count_new(void);
void ledger_count_free(struct ledger_count *lc);

/* Count one ledger row: relay and enhanced may be NULL, reply_code 0 when
 * it has none, updated its last update (epoch seconds). */
void ledger_count_add(struct ledger_count *lc, enum store_dlv_state state,
                      const char *relay, int reply_code, const char *enhanced,
                      int64_t updated);

/* Emit the rows of aggregate what (RELAYS, REPLIES, DONE_TIME or UPDATES;
 * LEDGER: the four in that order), each tagged with its kind; since is the
 * first run-start (else the campaign's creation) that the slowest relays
 * are timed from.  Returns fn's first non-zero value, else 0. */
int ledger_count_emit(struct ledger_count *lc, enum store_agg what,
                      int64_t since, store_agg_fn *fn, void *arg);

#endif
