/*
 * send_campaign.c — a program that embeds libmailcast: it makes a fresh
 * SQLite store in a temporary folder, adds three contacts with a
 * first_name, sends them a small personalised campaign through the SMTP
 * server given on the command line, and prints one line per recipient.
 *
 *   cc send_campaign.c $(pkg-config --cflags --libs mailcast) -o send_campaign
 *   ./send_campaign 127.0.0.1 2525
 *
 * Exit status: 0 when every recipient was delivered, 1 when some were
 * not, 2 on an error (printed on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mailcast.h>

static const char template_text[] =
    "Subject: Hello {{first_name}}\n"
    "\n"
    "Dear {{first_name}},\n"
    "\n"
    "this message was sent by a program built on libmailcast.\n";

/* Print one recipient's result; count the delivered ones. */
static void
on_result(const struct mc_result *r, void *arg)
{
	int *delivered = arg;

	printf("%-24s %-10s %3d %-6s %s\n", r->address, mc_state_name(r->state),
	       r->code, r->enhanced[0] ? r->enhanced : "-", r->text);
	if (r->state == MC_STATE_SENT)
		(*delivered)++;
}

/* Print what failed and say which call it was. */
static int
fail(const char *call, int rc, const char *detail)
{
	fprintf(stderr, "send_campaign: %s: %s%s%s\n", call, mc_strerror(rc),
	        detail && *detail ? ": " : "", detail ? detail : "");
	return 2;
}

int
main(int argc, char **argv)
{
	static const char *const who[3][2] = {
	    {"ada@example.org", "Ada"},
	    {"brian@example.net", "Brian"},
	    {"chloe@example.com", "Chloé"},
	};
	char dir[] = "/tmp/send_campaign-XXXXXX", url[96], db[64];
	struct mc_store *store = NULL;
	struct mc_campaign *c = NULL;
	int delivered = 0, rc, status = 2;

	if (argc != 3) {
		fprintf(stderr, "usage: send_campaign SERVER PORT\n");
		return 2;
	}
	printf("libmailcast %s (header %s)\n", mc_version(), MAILCAST_VERSION);
	if (mkdtemp(dir) == NULL) {
		perror("send_campaign: mkdtemp");
		return 2;
	}
	snprintf(db, sizeof(db), "%s/store.db", dir);
	snprintf(url, sizeof(url), "sqlite:%s", db);
	if ((rc = mc_store_open(url, &store)) < 0) {
		fail("mc_store_open", rc, url);
		goto done;
	}
	for (int i = 0; i < 3; i++) {
		struct mc_attr a = {"first_name", who[i][1]};

		if ((rc = mc_list_add(store, "friends", who[i][0], &a, 1)) <
		    0) {
			fail("mc_list_add", rc, mc_store_error(store));
			goto done;
		}
	}
	if ((rc = mc_campaign_new(store, "hello", &c)) < 0) {
		fail("mc_campaign_new", rc, NULL);
		goto done;
	}
	if ((rc = mc_campaign_set_list(c, "friends")) < 0 ||
	    (rc = mc_campaign_set_from(c, "Example <news@example.org>")) < 0 ||
	    (rc = mc_campaign_set_template_text(c, template_text)) < 0 ||
	    (rc = mc_campaign_set_server(c, argv[1])) < 0 ||
	    (rc = mc_campaign_set_port(c, atoi(argv[2]))) < 0 ||
	    (rc = mc_campaign_set_tls(c, MC_TLS_NONE)) < 0) {
		fail("mc_campaign_set_*", rc, mc_campaign_error(c));
		goto done;
	}
	rc = mc_campaign_run(c, on_result, &delivered);
	if (rc < 0 && rc != MC_ETEMPFAIL) {
		fail("mc_campaign_run", rc, mc_campaign_error(c));
		goto done;
	}
	printf("sent %ld, failed %ld, deferred %ld\n",
	       mc_campaign_count(c, MC_STATE_SENT),
	       mc_campaign_count(c, MC_STATE_FAILED),
	       mc_campaign_count(c, MC_STATE_DEFERRED));
	status = delivered == 3 ? 0 : 1;
done:
	mc_campaign_free(c);
	mc_store_close(store);
	/* the store's files (SQLite keeps -wal and -shm beside it) */
	for (size_t i = 0; i < 3; i++) {
		static const char *const sfx[] = {"", "-wal", "-shm"};
		char p[80];

		snprintf(p, sizeof(p), "%s%s", db, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
	return status;
}
