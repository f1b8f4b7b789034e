/*
 * engine_jobq.c — jobs and job queues of the campaign engine.
 *
 * A job is one ledger row from its lease to its recorded outcome; a queue
 * is a singly linked FIFO that can also take a job back at its head.  A
 * job is on at most one queue at a time; queues do not lock (the render
 * pool locks around its own).  A freed job's body buffer is kept for the
 * next job (up to SPARE_BODIES, loop thread only).
 */
#include <stdlib.h>

#include "base/xmalloc.h"
#include "engine/engine_int.h"

/* Append j to the tail of q. */
void
jobq_push(struct jobq *q, struct job *j)
{
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->n++;
}

/* Put j back at the head of q. */
void
jobq_unshift(struct jobq *q, struct job *j)
{
	j->next = q->head;
	q->head = j;
	if (q->tail == NULL)
		q->tail = j;
	q->n++;
}

/* Take the head of q, or NULL. */
struct job *
jobq_pop(struct jobq *q)
{
	struct job *j = q->head;

	if (j == NULL)
		return NULL;
	q->head = j->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->n--;
	j->next = NULL;
	return j;
}

/* A new job of e, on e's live list. */
struct job *
job_new(struct engine *e)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->e = e;
	j->live_next = e->live;
	if (e->live != NULL)
		e->live->live_prev = j;
	e->live = j;
	return j;
}

/* Give j a body buffer: a spare one of an earlier job (already grown
 * and touched: no allocation and no page faults per message) or a new one. */
void
job_body_init(struct engine *e, struct job *j)
{
	if (e->nspare > 0) {
		j->body = e->spare[--e->nspare];
		buf_reset(&j->body);
	} else {
		buf_init(&j->body);
	}
}

/* Free a job and what it owns; its body buffer is kept as a spare. */
void
job_free(struct job *j)
{
	struct engine *e = j->e;

	if (e != NULL) {
		if (j->live_prev != NULL)
			j->live_prev->live_next = j->live_next;
		else if (e->live == j)
			e->live = j->live_next;
		if (j->live_next != NULL)
			j->live_next->live_prev = j->live_prev;
	}
	if (e != NULL && j->body_mem) {
		e->body_bytes -= j->body_mem;
		e->body_jobs--;
	}
	store_deliveries_fini(&j->d, 1);
	if (e != NULL && !e->spares_done && e->nspare < SPARE_BODIES)
		e->spare[e->nspare++] = j->body;
	else
		buf_fini(&j->body);
	free(j);
}

/* Free the jobs still live once nothing can reach them any more: the
 * connections, render threads and router that held them are gone (a run
 * that failed or was stopped at once drops its transactions on the wire;
 * their rows stay inflight in the ledger, as after a crash). */
void
jobs_free_live(struct engine *e)
{
	while (e->live != NULL)
		job_free(e->live);
}

/* Free the spare body buffers; from now on job_free() frees them. */
void
job_spares_free(struct engine *e)
{
	while (e->nspare > 0)
		buf_fini(&e->spare[--e->nspare]);
	e->spares_done = true;
}
