/*
 * engine_jobq.c — jobs and job queues of the campaign engine.
 *
 * A job is one ledger row from its lease to its recorded outcome; a queue
 * is a singly linked FIFO that can also take a job back at its head.  A
 * job is on at most one queue at a time; queues do not lock (the render
 * pool locks around its own).
 */
#include <stdlib.h>

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

/* Free a job and what it owns. */
void
job_free(struct job *j)
{
	store_deliveries_fini(&j->d, 1);
	buf_fini(&j->body);
	free(j);
}
