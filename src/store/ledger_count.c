/*
 * ledger_count.c — see ledger_count.h.
 *
 * Two open-addressing tables keyed by text (relays, replies), two keyed by
 * time (minutes, seconds); each grows at 1/2 full.  Emitting sorts a copy of
 * the entries: the top STORE_TALLY_TOP keys by rows (ties by key), then each
 * (key, state) by rows, the rest summed under STORE_TALLY_OTHERS last.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "store/ledger_count.h"

/* A relay's or a reply's rows by state; for relays also the settled rows
 * and the last update of one. */
struct keyed {
	char *key;
	uint64_t hash;
	unsigned long n[DLV__COUNT];
	unsigned long total;
	unsigned long settled;
	int64_t last; /* 0: none settled */
};

struct key_table {
	struct keyed *e;
	size_t len, cap; /* cap: a power of two, or 0 */
};

/* Rows of one time (a minute, a second) by state. */
struct tick {
	int64_t at;
	bool used;
	unsigned long n[DLV__COUNT];
};

/* Times as an open-addressing table, slots by at / unit. */
struct tick_table {
	struct tick *t;
	size_t len, cap;
	int64_t unit;
};

struct ledger_count {
	struct key_table relays, replies;
	struct tick_table minutes; /* settled rows by minute */
	struct tick_table seconds; /* every row by its last update */
};

/* A row that was tried at least once. */
static bool
settled(enum store_dlv_state st)
{
	return st == DLV_SENT || st == DLV_DEFERRED || st == DLV_FAILED ||
	       st == DLV_BOUNCED;
}

/* FNV-1a of s. */
static uint64_t
hash_text(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Slot of key (hash h) in the table: its entry or the empty one. */
static struct keyed *
key_slot(struct keyed *e, size_t cap, const char *key, uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);

	while (e[i].key && (e[i].hash != h || strcmp(e[i].key, key) != 0))
		i = (i + 1) & (cap - 1);
	return &e[i];
}

/* The entry of key, made when new. */
static struct keyed *
key_get(struct key_table *t, const char *key)
{
	uint64_t h = hash_text(key);
	struct keyed *k;

	if (2 * (t->len + 1) > t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct keyed *e = xcalloc(cap, sizeof(*e));

		for (size_t i = 0; i < t->cap; i++)
			if (t->e[i].key)
				*key_slot(e, cap, t->e[i].key, t->e[i].hash) =
				    t->e[i];
		free(t->e);
		t->e = e;
		t->cap = cap;
	}
	k = key_slot(t->e, t->cap, key, h);
	if (k->key == NULL) {
		k->key = xstrdup(key);
		k->hash = h;
		t->len++;
	}
	return k;
}

/* Slot of time at in t's slots (cap a power of two). */
static size_t
tick_slot(const struct tick *t, size_t cap, int64_t unit, int64_t at)
{
	size_t i = (size_t)((uint64_t)at / (uint64_t)unit) & (cap - 1);

	while (t[i].used && t[i].at != at)
		i = (i + 1) & (cap - 1);
	return i;
}

/* The entry of time at, made when new. */
static struct tick *
tick_get(struct tick_table *tt, int64_t at)
{
	size_t i;

	if (2 * (tt->len + 1) > tt->cap) {
		size_t cap = tt->cap ? 2 * tt->cap : 64;
		struct tick *t = xcalloc(cap, sizeof(*t));

		for (size_t j = 0; j < tt->cap; j++)
			if (tt->t[j].used)
				t[tick_slot(t, cap, tt->unit, tt->t[j].at)] =
				    tt->t[j];
		free(tt->t);
		tt->t = t;
		tt->cap = cap;
	}
	i = tick_slot(tt->t, tt->cap, tt->unit, at);
	if (!tt->t[i].used) {
		tt->t[i].used = true;
		tt->t[i].at = at;
		tt->len++;
	}
	return &tt->t[i];
}

/* New, empty counts. */
struct ledger_count *
ledger_count_new(void)
{
	struct ledger_count *lc = xcalloc(1, sizeof(*lc));

	lc->minutes.unit = 60;
	lc->seconds.unit = 1;
	return lc;
}

/* Free a table's keys and entries. */
static void
key_table_free(struct key_table *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->e[i].key);
	free(t->e);
}

/* Free lc (NULL is fine). */
void
ledger_count_free(struct ledger_count *lc)
{
	if (lc == NULL)
		return;
	key_table_free(&lc->relays);
	key_table_free(&lc->replies);
	free(lc->minutes.t);
	free(lc->seconds.t);
	free(lc);
}

/* Count one row. */
void
ledger_count_add(struct ledger_count *lc, enum store_dlv_state state,
                 const char *relay, int reply_code, const char *enhanced,
                 int64_t updated)
{
	char reply[64];
	struct keyed *k;

	if ((unsigned)state >= DLV__COUNT)
		state = DLV_PENDING;
	k = key_get(&lc->relays, relay ? relay : "");
	k->n[state]++;
	k->total++;
	if (settled(state)) {
		k->settled++;
		if (k->last == 0 || updated > k->last)
			k->last = updated;
		tick_get(&lc->minutes, updated / 60 * 60)->n[state]++;
	}
	tick_get(&lc->seconds, updated)->n[state]++;
	if (reply_code == 0)
		reply[0] = '\0';
	else if (enhanced == NULL || *enhanced == '\0')
		snprintf(reply, sizeof(reply), "%d", reply_code);
	else
		snprintf(reply, sizeof(reply), "%d %s", reply_code, enhanced);
	k = key_get(&lc->replies, reply);
	k->n[state]++;
	k->total++;
}

/* The table's entries, in a new array. */
static struct keyed **
key_list(const struct key_table *t)
{
	struct keyed **v = xcalloc(t->len + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < t->cap; i++)
		if (t->e[i].key)
			v[n++] = &t->e[i];
	return v;
}

/* Most rows first, then by key. */
static int
by_total(const void *a, const void *b)
{
	const struct keyed *x = *(struct keyed *const *)a;
	const struct keyed *y = *(struct keyed *const *)b;

	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Latest settled row first, then most settled rows, then by key. */
static int
by_last(const void *a, const void *b)
{
	const struct keyed *x = *(struct keyed *const *)a;
	const struct keyed *y = *(struct keyed *const *)b;

	if (x->last != y->last)
		return x->last > y->last ? -1 : 1;
	if (x->settled != y->settled)
		return x->settled > y->settled ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* One (key, state, n) of a tally being emitted. */
struct cell {
	const char *key;
	enum store_dlv_state st;
	unsigned long n;
};

/* Most rows first, then by key, then by state name. */
static int
by_cell(const void *a, const void *b)
{
	const struct cell *x = a, *y = b;
	int c;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	if ((c = strcmp(x->key, y->key)) != 0)
		return c;
	return strcmp(store_dlv_state_name(x->st), store_dlv_state_name(y->st));
}

/* The tally of table t: the top keys' (key, state) cells by rows, then
 * the others' by state.  Returns fn's first non-zero value. */
static int
emit_tally(const struct key_table *t, enum store_agg what, store_agg_fn *fn,
           void *arg)
{
	struct keyed **v = key_list(t);
	size_t top = t->len < STORE_TALLY_TOP ? t->len : STORE_TALLY_TOP;
	struct cell *c = xcalloc(top * DLV__COUNT + DLV__COUNT, sizeof(*c));
	unsigned long others[DLV__COUNT] = {0};
	size_t nc = 0, no;
	int stop = 0;

	qsort(v, t->len, sizeof(*v), by_total);
	for (size_t i = 0; i < t->len; i++)
		for (int s = 0; s < DLV__COUNT; s++) {
			if (v[i]->n[s] == 0)
				continue;
			if (i < top)
				c[nc++] =
				    (struct cell){v[i]->key, s, v[i]->n[s]};
			else
				others[s] += v[i]->n[s];
		}
	qsort(c, nc, sizeof(*c), by_cell);
	no = nc;
	for (int s = 0; s < DLV__COUNT; s++)
		if (others[s])
			c[nc++] =
			    (struct cell){STORE_TALLY_OTHERS, s, others[s]};
	qsort(c + no, nc - no, sizeof(*c), by_cell);
	for (size_t i = 0; i < nc && stop == 0; i++) {
		struct store_agg_row r = {.what = what,
		                          .key = c[i].key,
		                          .sub = store_dlv_state_name(c[i].st),
		                          .n = c[i].n};
		stop = fn(arg, &r);
	}
	free(c);
	free(v);
	return stop;
}

/* The STORE_AGG_SLOW_MAX relays whose last settled row came latest. */
static int
emit_slowest(const struct key_table *t, int64_t since, store_agg_fn *fn,
             void *arg)
{
	struct keyed **v = key_list(t);
	size_t n = 0;
	int stop = 0;

	for (size_t i = 0; i < t->len; i++)
		if (v[i]->settled)
			v[n++] = v[i];
	qsort(v, n, sizeof(*v), by_last);
	for (size_t i = 0; i < n && i < STORE_AGG_SLOW_MAX && stop == 0; i++) {
		struct store_agg_row r = {.what = STORE_AGG_RELAYS,
		                          .key = v[i]->key,
		                          .sub = "",
		                          .at = v[i]->last - since,
		                          .n = v[i]->settled};
		stop = fn(arg, &r);
	}
	free(v);
	return stop;
}

/* Oldest first. */
static int
by_time(const void *a, const void *b)
{
	const struct tick *x = *(struct tick *const *)a;
	const struct tick *y = *(struct tick *const *)b;

	return x->at < y->at ? -1 : x->at > y->at;
}

/* The table's entries, oldest first, in a new array. */
static struct tick **
tick_list(const struct tick_table *tt)
{
	struct tick **v = xcalloc(tt->len + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < tt->cap; i++)
		if (tt->t[i].used)
			v[n++] = &tt->t[i];
	qsort(v, n, sizeof(*v), by_time);
	return v;
}

/* The settled rows by (minute, state name). */
static int
emit_minutes(const struct ledger_count *lc, store_agg_fn *fn, void *arg)
{
	static const enum store_dlv_state by_name[] = {
	    DLV_BOUNCED, DLV_DEFERRED, DLV_FAILED, DLV_SENT};
	struct tick **v = tick_list(&lc->minutes);
	int stop = 0;

	for (size_t i = 0; i < lc->minutes.len && stop == 0; i++)
		for (size_t j = 0; j < 4 && stop == 0; j++) {
			enum store_dlv_state s = by_name[j];
			struct store_agg_row r = {.what = STORE_AGG_DONE_TIME,
			                          .key = "",
			                          .sub =
			                              store_dlv_state_name(s),
			                          .at = v[i]->at,
			                          .n = v[i]->n[s]};

			if (r.n)
				stop = fn(arg, &r);
		}
	free(v);
	return stop;
}

/* Every row by the second of its last update. */
static int
emit_seconds(const struct ledger_count *lc, store_agg_fn *fn, void *arg)
{
	struct tick **v = tick_list(&lc->seconds);
	int stop = 0;

	for (size_t i = 0; i < lc->seconds.len && stop == 0; i++) {
		struct store_agg_row r = {.what = STORE_AGG_UPDATES,
		                          .key = "",
		                          .sub = "",
		                          .at = v[i]->at};

		for (int k = 0; k < DLV__COUNT; k++)
			r.n += v[i]->n[k];
		stop = fn(arg, &r);
	}
	free(v);
	return stop;
}

/* Emit aggregate what. */
int
ledger_count_emit(struct ledger_count *lc, enum store_agg what, int64_t since,
                  store_agg_fn *fn, void *arg)
{
	int stop = 0;

	if (what == STORE_AGG_RELAYS || what == STORE_AGG_LEDGER)
		if ((stop = emit_tally(&lc->relays, STORE_AGG_RELAYS, fn,
		                       arg)) != 0 ||
		    (stop = emit_slowest(&lc->relays, since, fn, arg)) != 0)
			return stop;
	if (what == STORE_AGG_REPLIES || what == STORE_AGG_LEDGER)
		if ((stop = emit_tally(&lc->replies, STORE_AGG_REPLIES, fn,
		                       arg)) != 0)
			return stop;
	if (what == STORE_AGG_DONE_TIME || what == STORE_AGG_LEDGER)
		if ((stop = emit_minutes(lc, fn, arg)) != 0)
			return stop;
	if (what == STORE_AGG_UPDATES || what == STORE_AGG_LEDGER)
		stop = emit_seconds(lc, fn, arg);
	return stop;
}
