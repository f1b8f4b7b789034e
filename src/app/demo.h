/*
 * demo.h — `mailcast demo` as a service: the main job on embedded
 * defaults.  demo_init() makes a fresh folder (the front end opens the
 * store in it); demo_prepare() imports the bundled list (1,000 made-up
 * addresses at .example domains), starts mailcast's own sink (net/sink)
 * on a free loopback port below 32768 and creates the campaign through
 * campaign_create(); demo_run() runs it.  The sink rejects reject-*
 * (550 5.1.1) and greylists defer-* (451) until only retries are left, as
 * a real receiver would; those are then delivered on their retry.
 *
 * The sink runs in child processes forked by demo_prepare(), before the
 * engine starts any thread: the greylisting one at once, the plain one
 * waiting on a pipe until the greylisting one is stopped.  Children are
 * in their own process group (Ctrl-C pauses the campaign only) and are
 * stopped by demo_fini().  Errors: MC_EIO (folder, port, sink),
 * MC_ENOTFOUND (bundled files), MC_EDATA (import, template), with the
 * reason in err.
 */
#ifndef MC_APP_DEMO_H
#define MC_APP_DEMO_H

#include <stdbool.h>
#include <sys/types.h>

#include "app/campaign.h"
#include "store/store_import.h"

#define DEMO_LIST "demo"

struct demo_opts {
	const char *data_dir;       /* demo-contacts.csv, demo-template.txt */
	store_addr_check_fn *check; /* the address check of the import */
	void *check_arg;
	store_reject_fn *reject; /* a rejected CSV row (none expected) */
	void *reject_arg;
};

struct demo {
	char dir[256];     /* the fresh folder */
	char maildir[300]; /* where the sink writes */
	char listen[64];   /* the sink's "127.0.0.1:PORT" */
	char list_path[600];
	unsigned long imported;
	char name[128]; /* the campaign's */
	int64_t id;
	/* private */
	pid_t sink, sink_next;
	int go_fd;
	bool greylist_over;
	const struct campaign_start_opts *user;
};

/* Make the fresh folder under tmpdir (NULL: /tmp): 0 or MC_EIO. */
int demo_init(struct demo *d, const char *tmpdir, char *err, size_t errsz);
/* Import, start the sink, create the campaign in s (see above). */
int demo_prepare(struct demo *d, struct store *s, const struct demo_opts *o,
                 char *err, size_t errsz);
/* Run the campaign (campaign_start(); o's progress is called too). */
int demo_run(struct demo *d, struct store *s,
             const struct campaign_start_opts *o, struct campaign_result *res,
             char *err, size_t errsz);
/* The messages in the sink's Maildir (its new/ folder). */
unsigned long demo_delivered(const struct demo *d);
/* Stop the sink; the folder stays (the store and Maildir are in it). */
void demo_fini(struct demo *d);

#endif
