/*
 * test_app_send.c — app/send.h against the in-process capture sink
 * (net/sink.h, run in a thread on a loopback port): one result per
 * recipient with the server's code, enhanced code and text; the dialogue
 * through the transcript callback; the message as it landed in the
 * Maildir; the exit status; --count load mode over several connections;
 * options refused before anything is sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "app/send.h"
#include "base/error.h"
#include "net/sink.h"
#include "proto/smtp_server.h"

struct sink_thread {
	pthread_t t;
	struct sink_config cfg;
	struct sink_stats st;
	struct smtp_fault fault;
	char listen[32], dir[64], err[256];
	int port, rc;
};

/* The sink's thread. */
static void *
sink_main(void *arg)
{
	struct sink_thread *k = arg;

	k->rc = sink_run(&k->cfg, &k->st, k->err, sizeof(k->err));
	return NULL;
}

/* Can we connect to 127.0.0.1:port? */
static bool
port_open(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* Start a sink that stops after count messages; maildir when dir. */
static void
sink_start(struct sink_thread *k, unsigned long count, const char *fault,
           bool maildir)
{
	char err[256];

	memset(k, 0, sizeof(*k));
	k->port = 24000 + (int)(getpid() % 4000);
	snprintf(k->listen, sizeof(k->listen), "127.0.0.1:%d", k->port);
	k->cfg.listen = k->listen;
	k->cfg.hostname = "sink.test";
	k->cfg.count = count;
	if (fault != NULL) {
		assert_int_equal(
		    smtp_fault_parse(fault, &k->fault, err, sizeof(err)), 0);
		k->cfg.faults = &k->fault;
		k->cfg.nfaults = 1;
	}
	if (maildir) {
		snprintf(k->dir, sizeof(k->dir), "/tmp/mc-send-XXXXXX");
		assert_non_null(mkdtemp(k->dir));
		k->cfg.maildir = k->dir;
	}
	assert_int_equal(pthread_create(&k->t, NULL, sink_main, k), 0);
	for (int i = 0; i < 500 && !port_open(k->port); i++)
		usleep(10000);
}

/* Wait for the sink to stop (it counted its messages). */
static void
sink_join(struct sink_thread *k)
{
	char cmd[128];

	pthread_join(k->t, NULL);
	assert_int_equal(k->rc, 0);
	if (k->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", k->dir);
		assert_int_equal(system(cmd), 0);
	}
}

/* The one message in DIR/new, read whole (malloc'd). */
static char *
maildir_message(const char *dir)
{
	char path[512], *buf = calloc(1, 65536);
	struct dirent *e;
	DIR *d;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/new", dir);
	assert_non_null(d = opendir(path));
	while ((e = readdir(d)) != NULL && e->d_name[0] == '.')
		;
	assert_non_null(e);
	snprintf(path, sizeof(path), "%s/new/%s", dir, e->d_name);
	closedir(d);
	assert_non_null(fp = fopen(path, "r"));
	fread(buf, 1, 65535, fp);
	fclose(fp);
	return buf;
}

struct seen {
	int nresults;
	struct app_send_result r[4];
	char text[4][512], rcpt[4][128], enh[4][16];
	char transcript[16384];
};

/* Result callback: keep a copy. */
static void
on_result(void *arg, const struct app_send_result *r)
{
	struct seen *s = arg;
	int i = s->nresults++;

	assert_true(i < 4);
	s->r[i] = *r;
	snprintf(s->text[i], sizeof(s->text[i]), "%s", r->text);
	snprintf(s->rcpt[i], sizeof(s->rcpt[i]), "%s", r->recipient);
	snprintf(s->enh[i], sizeof(s->enh[i]), "%s", r->enhanced);
}

/* Transcript callback: "D: line\n". */
static void
on_trace(void *arg, char dir, const char *line, size_t len)
{
	struct seen *s = arg;
	size_t o = strlen(s->transcript);

	snprintf(s->transcript + o, sizeof(s->transcript) - o, "%c: %.*s\n",
	         dir, (int)len, line);
}

/* One delivered, one refused by a 550: the results and the status. */
static void
test_send_results(void **state)
{
	static const char *to[] = {"ok@example.net", "reject-x@example.net"};
	struct sink_thread k;
	struct seen seen = {0};
	struct app_send_summary sum;
	char port[16], server[32];
	struct app_send_opts o = {
	    .server = server,
	    .tls = "none",
	    .from = "a@example.org",
	    .to = to,
	    .nto = 2,
	    .result = on_result,
	    .trace = on_trace,
	    .arg = &seen,
	};

	(void)state;
	sink_start(&k, 1, "rcpt:reject-*=550 5.1.1 no such user", true);
	snprintf(port, sizeof(port), "%d", k.port);
	snprintf(server, sizeof(server), "127.0.0.1:%s", port);
	assert_int_equal(app_send_run(&o, &sum), 0);
	assert_int_equal(seen.nresults, 2);
	assert_string_equal(seen.rcpt[0], "ok@example.net");
	assert_true(seen.r[0].delivered);
	assert_int_equal(seen.r[0].code, 250);
	assert_string_equal(seen.rcpt[1], "reject-x@example.net");
	assert_false(seen.r[1].delivered);
	assert_int_equal(seen.r[1].code, 550);
	assert_string_equal(seen.enh[1], "5.1.1");
	assert_non_null(strstr(seen.text[1], "no such user"));
	assert_int_equal(sum.delivered, 1);
	assert_int_equal(sum.refused, 1);
	assert_int_equal(sum.status, EX_UNAVAILABLE);
	assert_string_equal(sum.why, "");
	assert_non_null(
	    strstr(seen.transcript, "C: RCPT TO:<reject-x@example.net>\n"));
	assert_non_null(strstr(seen.transcript, "S: 550 5.1.1 no such user"));
	char *m = maildir_message(k.dir);
	assert_non_null(strstr(m, "X-Mailcast-Rcpt: <ok@example.net>\r\n"));
	assert_null(strstr(m, "X-Mailcast-Rcpt: <reject-x"));
	assert_non_null(strstr(m, "Subject: mailcast test message"));
	free(m);
	sink_join(&k);
}

/* --count 20 over 3 connections: the summary only. */
static void
test_send_load(void **state)
{
	static const char *to[] = {"ok@example.net"};
	struct sink_thread k;
	struct seen seen = {0};
	struct app_send_summary sum;
	char server[32];
	struct app_send_opts o = {
	    .server = server,
	    .tls = "none",
	    .from = "a@example.org",
	    .to = to,
	    .nto = 1,
	    .count = 20,
	    .connections = 3,
	    .summary_only = true,
	    .result = on_result,
	    .arg = &seen,
	};

	(void)state;
	sink_start(&k, 20, NULL, false);
	snprintf(server, sizeof(server), "127.0.0.1:%d", k.port);
	assert_int_equal(app_send_run(&o, &sum), 0);
	assert_int_equal(seen.nresults, 0);
	assert_int_equal(sum.messages, 20);
	assert_int_equal(sum.delivered, 20);
	assert_int_equal(sum.connections, 3);
	assert_int_equal(sum.status, EX_OK);
	sink_join(&k);
	assert_int_equal(k.st.messages, 20);
	/* The three, and sink_start()'s readiness probe. */
	assert_int_equal(k.st.connections, 3 + 1);
}

/* Options refused before a connection, with the reason. */
static void
test_send_refused_options(void **state)
{
	static const char *to[] = {"b@example.net"};
	struct app_send_summary sum;
	struct app_send_opts o = {.server = "127.0.0.1:1",
	                          .from = "a@example.org",
	                          .to = to,
	                          .nto = 1};

	(void)state;
	o.tls = "maybe";
	assert_int_equal(app_send_run(&o, &sum), MC_EINVAL);
	assert_non_null(strstr(sum.why, "--tls: none, opportunistic, require"));
	o.tls = "none";
	o.timeout = "5 s";
	assert_int_equal(app_send_run(&o, &sum), MC_EINVAL);
	assert_non_null(strstr(sum.why, "--timeout: a duration"));
	o.timeout = NULL;
	o.nto = 0;
	assert_int_equal(app_send_run(&o, &sum), MC_EINVAL);
	assert_string_equal(sum.why, "--server, --from and --to are required");
	o.nto = 1;
	o.data = "/nonexistent/msg.eml";
	assert_int_equal(app_send_run(&o, &sum), MC_ENOTFOUND);
	assert_non_null(strstr(sum.why, "--data: "));
	assert_non_null(strstr(sum.why, "msg.eml"));
	o.data = NULL;
	o.server = "127.0.0.1:99999";
	assert_int_equal(app_send_run(&o, &sum), MC_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_send_results),
	    cmocka_unit_test(test_send_load),
	    cmocka_unit_test(test_send_refused_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
