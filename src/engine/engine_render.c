/*
 * engine_render.c — the render pool and the template of a run.
 *
 * N threads take routed jobs from the pool's input queue, render the
 * message (template, MIME) and sign it (DKIM), and hand it back through the
 * output queue and an eventfd that wakes the loop thread, which puts each
 * job on its destination's queue.  Only the two queues are shared (under
 * rpool.mu); a job inside the pool belongs to the pool.  The template is
 * compiled on the loop thread before the first job is rendered, against
 * the attribute names engine_template_attrs() finds in the first rows.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "base/str.h"
#include "base/xmalloc.h"
#include "engine/engine_int.h"
#include "msg/address.h"
#include "msg/template.h"

/* Why j cannot go to a server without SMTPUTF8. */
const char *
job_utf8_reason(const struct job *j)
{
	return (j->utf8_need & JOB_UTF8_ADDR)
	           ? "server does not offer SMTPUTF8; the address needs it"
	           : "server does not offer SMTPUTF8; the headers need it";
}

/* Any octet >= 0x80 in s[0..n). */
static bool
has_8bit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] & 0x80)
			return true;
	return false;
}

/*
 * The wire form of address s into out: "local@A-label" when the local part
 * is ASCII (an internationalised domain needs no SMTPUTF8), else s as
 * written; true when it needs SMTPUTF8.  An address that does not parse
 * goes as written (it fails at the server, with its reply).
 */
static bool
wire_address(const char *s, char *out, size_t outsz)
{
	struct addr a;
	char err[200];

	if (!has_8bit(s, strlen(s)) ||
	    addr_parse(s, strlen(s), &a, err, sizeof(err)) != 0) {
		mc_strlcpy(out, s, outsz);
		return has_8bit(s, strlen(s));
	}
	if (a.utf8) {
		mc_strlcpy(out, s, outsz);
		return true;
	}
	snprintf(out, outsz, "%s@%s", a.local, a.domain);
	return false;
}

/* Does the header section of the message (up to the first empty line)
 * carry raw UTF-8? */
static bool
header_8bit(const struct buf *b)
{
	const char *p = (const char *)buf_data(b);
	size_t n = buf_len(b);

	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)p[i] & 0x80)
			return true;
		if (p[i] == '\n' &&
		    (i + 1 < n &&
		     (p[i + 1] == '\n' ||
		      (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n'))))
			return false;
	}
	return false;
}

/* Render one job: values from its attributes, token, message, DKIM. */
static void
render_job(struct engine *e, struct msg_render *r, struct dkim_signer *sig,
           struct buf *tmp, struct job *j)
{
	const struct engine_attrs *a = &e->attrs;
	struct tmpl_value *vals = xcalloc(a->n + 1, sizeof(*vals));
	struct msg_recipient rcpt;
	json_t *attrs = json_loads(j->d.attrs ? j->d.attrs : "{}", 0, NULL);
	time_t now = mc_clock_wall(e->clock);
	int rc;

	for (size_t i = 0; i < a->n && attrs; i++) {
		json_t *v = json_object_get(attrs, a->names[i]);

		if (json_is_string(v)) {
			vals[i].s = json_string_value(v);
			vals[i].len = json_string_length(v);
		}
	}
	memset(&rcpt, 0, sizeof(rcpt));
	/* an internationalised domain with an ASCII local part is written
	 * as its A-label, in the headers as on the envelope: the message
	 * then needs no SMTPUTF8 */
	if (wire_address(j->d.address, j->rcpt_wire, sizeof(j->rcpt_wire)))
		j->utf8_need |= JOB_UTF8_ADDR;
	rcpt.email = j->rcpt_wire;
	rcpt.token = j->token;
	rcpt.campaign_id = (uint64_t)e->cfg->campaign_id;
	rcpt.contact_id = (uint64_t)j->d.contact_id;
	rcpt.values = vals;
	rcpt.nvalues = a->n;
	rcpt.link_key = e->key->key; /* tracked links: the token's key */
	rcpt.link_key_len = e->key->len;
	buf_reset(tmp);
	rc = msg_render_one(r, e->tmpl, &rcpt, now, tmp);
	if (rc == 0 && sig != NULL) {
		buf_reset(&j->body);
		rc = dkim_sign(sig, (const char *)buf_data(tmp), buf_len(tmp),
		               now, &j->body);
		if (rc < 0)
			snprintf(j->text, sizeof(j->text), "DKIM: %s",
			         dkim_signer_error(sig));
	} else if (rc < 0) {
		snprintf(j->text, sizeof(j->text), "%s", msg_render_error(r));
	}
	if (rc == 0 && sig == NULL) {
		/* the rendered message becomes the body without a copy; the
		 * job's (spare) buffer is the next render's */
		struct buf t = j->body;

		j->body = *tmp;
		*tmp = t;
		buf_reset(tmp);
	} else if (rc == 0) {
		buf_append(&j->body, buf_data(tmp), buf_len(tmp)); /* signed */
	}
	if (rc == 0) {
		if (e->cfg->from && (e->cfg->bounce_domain == NULL))
			mc_strlcpy(j->mail_from, e->cfg->from,
			           sizeof(j->mail_from));
		else
			msg_verp_sender(j->token,
			                e->cfg->bounce_domain
			                    ? e->cfg->bounce_domain
			                    : tmpl_from_domain(e->tmpl),
			                j->mail_from, sizeof(j->mail_from));
		if (wire_address(j->mail_from, j->from_wire,
		                 sizeof(j->from_wire)))
			j->utf8_need |= JOB_UTF8_ADDR;
		if (header_8bit(&j->body))
			j->utf8_need |= JOB_UTF8_HEADER;
		/* here, on a render thread, not on the loop's */
		smtp_wire_measure(buf_data(&j->body), buf_len(&j->body),
		                  &j->wire);
	} else {
		j->state = DLV_FAILED;
	}
	json_decref(attrs);
	free(vals);
}

/* Take up to a fair share of p's input (at most RENDER_BATCH jobs) into
 * *got; under p->mu. */
static void
take_share(struct rpool *p, struct jobq *got)
{
	size_t share = (p->in.n + p->nth - 1) / p->nth;

	if (share > RENDER_BATCH)
		share = RENDER_BATCH;
	if (share == 0)
		share = 1;
	while (got->n < share && p->in.head)
		jobq_push(got, jobq_pop(&p->in));
}

/* A render thread: take jobs in batches until told to quit; hand each
 * batch back at once (one lock, one wake of the loop), in the order the
 * batches were taken (tickets). */
static void *
render_main(void *arg)
{
	struct engine *e = arg;
	struct rpool *p = &e->pool;
	struct msg_render *r = msg_render_new();
	struct dkim_signer *sig = NULL;
	struct buf tmp;

	buf_init(&tmp);
	if (e->cfg->ndkim) {
		sig = dkim_signer_new();
		for (size_t i = 0; i < e->cfg->ndkim; i++)
			dkim_signer_add(sig, e->cfg->dkim[i]);
	}
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct jobq got = {NULL, NULL, 0};
		struct job *j;
		uint64_t ticket;
		bool wake;

		while (p->in.head == NULL && !p->quit)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->quit)
			break;
		take_share(p, &got);
		ticket = p->taken++;
		pthread_mutex_unlock(&p->mu);
		for (j = got.head; j; j = j->next)
			render_job(e, r, sig, &tmp, j);
		pthread_mutex_lock(&p->mu);
		/* batches leave in the order they were taken: the rows reach
		 * their connections in lease order, as one thread would */
		while (p->handed != ticket)
			pthread_cond_wait(&p->turn, &p->mu);
		p->handed++;
		pthread_cond_broadcast(&p->turn);
		wake = p->out.head == NULL;
		while ((j = jobq_pop(&got)) != NULL)
			jobq_push(&p->out, j);
		if (wake) {
			uint64_t one = 1;

			if (write(p->efd, &one, sizeof(one)) < 0)
				(void)0; /* the counter is saturated: awake */
		}
	}
	pthread_mutex_unlock(&p->mu);
	buf_fini(&tmp);
	dkim_signer_free(sig);
	msg_render_free(r);
	return NULL;
}

/* Hand the jobs in q to the render threads at once. */
static void
pool_put(struct rpool *p, struct jobq *q)
{
	struct job *j;
	size_t n = q->n;

	if (n == 0)
		return;
	pthread_mutex_lock(&p->mu);
	while ((j = jobq_pop(q)) != NULL)
		jobq_push(&p->in, j);
	p->busy += n;
	if (n > 1)
		pthread_cond_broadcast(&p->cv);
	else
		pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Route found for a job's domain: queue it (render first); held on the
 * loop thread between rpool_hold() and rpool_release(). */
void
rpool_submit(struct engine *e, struct job *j)
{
	struct rpool *p = &e->pool;
	struct jobq one = {NULL, NULL, 0};

	if (p->holding) {
		jobq_push(&p->held, j);
		return;
	}
	jobq_push(&one, j);
	pool_put(p, &one);
}

/* Hold submitted jobs on the loop thread (a lease batch is starting). */
void
rpool_hold(struct engine *e)
{
	e->pool.holding = true;
}

/* Hand the held jobs to the render threads in one go. */
void
rpool_release(struct engine *e)
{
	e->pool.holding = false;
	pool_put(&e->pool, &e->pool.held);
}

/* Rendered jobs are back: each joins its destination's queue. */
static void
rpool_ready(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;
	struct rpool *p = &e->pool;
	struct jobq got;
	struct job *j;
	uint64_t v;

	(void)what;
	if (read(fd, &v, sizeof(v)) < 0)
		(void)0; /* nothing to read: spurious */
	pthread_mutex_lock(&p->mu);
	got = p->out;
	memset(&p->out, 0, sizeof(p->out));
	p->busy -= got.n;
	pthread_mutex_unlock(&p->mu);
	while ((j = jobq_pop(&got)) != NULL) {
		if (e->stopping) {
			j->released = true;
			jobq_push(&e->done, j);
		} else if (j->state == DLV_FAILED) {
			ledger_settle(e, j, DLV_FAILED, 0, NULL, j->text);
		} else {
			if (j->body_mem) { /* rendered again */
				e->body_bytes -= j->body_mem;
				e->body_jobs--;
			}
			j->body_mem = buf_len(&j->body);
			if (j->body_mem) {
				e->body_bytes += j->body_mem;
				e->body_jobs++;
			}
			jobq_push(&j->dest->q, j);
		}
	}
	dest_dispatch_all(e);
}

/* Jobs not yet taken by a render thread go back (pause): released. */
void
rpool_take_back(struct engine *e)
{
	struct job *j;

	pthread_mutex_lock(&e->pool.mu);
	while ((j = jobq_pop(&e->pool.in)) != NULL) {
		e->pool.busy--;
		j->released = true;
		jobq_push(&e->done, j);
	}
	pthread_mutex_unlock(&e->pool.mu);
}

/* Start the render threads. */
void
rpool_start(struct engine *e)
{
	struct rpool *p = &e->pool;

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	pthread_cond_init(&p->turn, NULL);
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	p->ev =
	    event_new(e->base, p->efd, EV_READ | EV_PERSIST, rpool_ready, e);
	event_add(p->ev, NULL);
	p->nth = e->cfg->threads ? e->cfg->threads : 2;
	if (p->nth > ENGINE_THREADS_MAX)
		p->nth = ENGINE_THREADS_MAX;
	for (unsigned i = 0; i < p->nth; i++)
		pthread_create(&p->th[i], NULL, render_main, e);
}

/* Stop the render threads and free what is left in the pool. */
void
rpool_stop(struct engine *e)
{
	struct rpool *p = &e->pool;
	struct job *j;

	pthread_mutex_lock(&p->mu);
	p->quit = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nth; i++)
		pthread_join(p->th[i], NULL);
	while ((j = jobq_pop(&p->in)) != NULL)
		job_free(j);
	while ((j = jobq_pop(&p->out)) != NULL)
		job_free(j);
	event_free(p->ev);
	close(p->efd);
	pthread_cond_destroy(&p->cv);
	pthread_cond_destroy(&p->turn);
	pthread_mutex_destroy(&p->mu);
}

/* Add the keys of one record's attributes; see engine.h for the rule. */
bool
engine_template_attrs(struct engine_attrs *a, const char *attrs_json)
{
	json_t *o;
	const char *k;
	json_t *v;

	if (a->records >= ENGINE_ATTRS_SAMPLE)
		return false;
	a->records++;
	o = json_loads(attrs_json ? attrs_json : "{}", 0, NULL);
	json_object_foreach(o, k, v)
	{
		size_t i;

		if (strlen(k) > TMPL_FIELD_NAME_MAX || a->n >= TMPL_FIELDS_MAX)
			continue;
		for (i = 0; i < a->n; i++)
			if (strcmp(a->names[i], k) == 0)
				break;
		if (i < a->n)
			continue;
		a->names = xreallocarray(a->names, a->n + 1, sizeof(char *));
		a->names[a->n++] = xstrdup(k);
	}
	json_decref(o);
	return a->records < ENGINE_ATTRS_SAMPLE;
}

/* Free the names of a. */
void
engine_attrs_fini(struct engine_attrs *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->names[i]);
	free(a->names);
	memset(a, 0, sizeof(*a));
}

/* Compile the template against the attribute names of the first rows. */
int
engine_template_ready(struct engine *e, const struct store_delivery *rows,
                      size_t n)
{
	struct tmpl_options opt;
	char err[TMPL_ERR_MAX];
	int rc;

	if (e->tmpl)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!engine_template_attrs(&e->attrs, rows[i].attrs))
			break;
	memset(&opt, 0, sizeof(opt));
	opt.campaign = e->cfg->campaign_name;
	opt.unsubscribe_url = e->cfg->unsubscribe_url;
	opt.unsubscribe_mailto = e->cfg->unsubscribe_mailto;
	opt.links = e->cfg->track_links;
	opt.nlinks = e->cfg->ntrack_links;
	opt.track_opens = e->cfg->track_opens;
	rc = tmpl_load(e->cfg->template_path,
	               (const char *const *)e->attrs.names, e->attrs.n, &opt,
	               &e->tmpl, err, sizeof(err));
	if (rc < 0) {
		engine_fail(e, rc, "", err);
		return rc;
	}
	return 0;
}
