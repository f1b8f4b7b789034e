/*
 * demo.c — see demo.h.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app/demo.h"
#include "base/error.h"
#include "net/sink.h"

/*
 * A free TCP port on 127.0.0.1 below 32768: the kernel hands out the ports
 * above to outgoing connections, so a listener there can collide with
 * one.  Tried from a point that differs per process, so two demos at once
 * do not race for the same port.
 */
static int
free_port(void)
{
	enum { LOW = 20000, SPAN = 12000, TRIES = 400 };
	unsigned start = (unsigned)getpid() * 7919u;

	for (unsigned i = 0; i < TRIES; i++) {
		struct sockaddr_in sa;
		int port = LOW + (int)((start + i) % SPAN);
		int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

		if (fd < 0)
			return -1;
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = htons((uint16_t)port);
		ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		if (ok)
			return port;
	}
	return -1;
}

/* The sink's life in a child: wait for go_fd (if any), then serve. */
static void
sink_child(const struct demo *d, bool greylist, int go_fd)
{
	struct smtp_fault faults[2];
	struct sink_config cfg;
	struct sink_stats st;
	char err[256];
	size_t n = 0;
	int null = open("/dev/null", O_RDWR);

	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	setpgid(0, 0); /* Ctrl-C pauses the parent only */
	if (go_fd >= 0) {
		char c;

		if (read(go_fd, &c, 1) != 1) /* the parent is gone */
			_exit(0);
		close(go_fd);
	}
	memset(faults, 0, sizeof(faults));
	if (smtp_fault_parse("rcpt:reject-*=550 5.1.1 no such user here",
	                     &faults[n], err, sizeof(err)) == 0)
		n++;
	if (greylist &&
	    smtp_fault_parse("rcpt:defer-*=451 4.7.1 greylisted, try again "
	                     "later",
	                     &faults[n], err, sizeof(err)) == 0)
		n++;
	memset(&cfg, 0, sizeof(cfg));
	cfg.listen = d->listen;
	cfg.maildir = d->maildir;
	cfg.hostname = "sink.demo.example";
	cfg.max_size = SMTP_SERVER_DEFAULT_SIZE;
	cfg.max_rcpts = SMTP_SERVER_DEFAULT_RCPTS;
	cfg.faults = faults;
	cfg.nfaults = n;
	_exit(sink_run(&cfg, &st, err, sizeof(err)) < 0 ? 1 : 0);
}

/* Fork a sink child; with a go pipe, it waits for a byte on it. */
static pid_t
sink_fork(struct demo *d, bool greylist, int *go)
{
	int p[2] = {-1, -1};
	pid_t pid;

	if (go && pipe(p) < 0)
		return -1;
	if ((pid = fork()) < 0) {
		if (go) {
			close(p[0]);
			close(p[1]);
		}
		return -1;
	}
	if (pid == 0) {
		if (go)
			close(p[1]);
		sink_child(d, greylist, go ? p[0] : -1);
	}
	if (go) {
		close(p[0]);
		*go = p[1];
	}
	return pid;
}

/* Wait until the sink listens (bounded: 5 s); false if it died. */
static bool
sink_wait(const struct demo *d, pid_t pid)
{
	const char *colon = strrchr(d->listen, ':');

	for (int i = 0; i < 500 && colon; i++) {
		struct sockaddr_in sa;
		int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = htons((uint16_t)atoi(colon + 1));
		ok = fd >= 0 &&
		     connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		if (fd >= 0)
			close(fd);
		if (ok)
			return true;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return false;
		usleep(10000);
	}
	return false;
}

/* Stop a sink child. */
static void
sink_stop(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGTERM);
		waitpid(*pid, NULL, 0);
		*pid = 0;
	}
}

/* Make the fresh folder. */
int
demo_init(struct demo *d, const char *tmpdir, char *err, size_t errsz)
{
	memset(d, 0, sizeof(*d));
	d->go_fd = -1;
	snprintf(d->dir, sizeof(d->dir), "%s/mailcast-demo-XXXXXX",
	         tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (mkdtemp(d->dir) == NULL) {
		snprintf(err, errsz, "cannot make %s: %s", d->dir,
		         strerror(errno));
		return MC_EIO;
	}
	snprintf(d->maildir, sizeof(d->maildir), "%s/maildir", d->dir);
	return 0;
}

/* Import the bundled list. */
static int
demo_import(struct demo *d, struct store *s, const struct demo_opts *o,
            char *err, size_t errsz)
{
	struct store_import_opts io;
	struct store_import_stats ist;
	FILE *fp;
	int rc;

	snprintf(d->list_path, sizeof(d->list_path), "%s/demo-contacts.csv",
	         o->data_dir);
	if ((fp = fopen(d->list_path, "rb")) == NULL) {
		snprintf(err, errsz,
		         "%s: %s (give --data DIR or set MAILCAST_DATADIR)",
		         d->list_path, strerror(errno));
		return MC_ENOTFOUND;
	}
	memset(&io, 0, sizeof(io));
	io.list = DEMO_LIST;
	io.check = o->check;
	io.check_arg = o->check_arg;
	io.reject = o->reject;
	io.reject_arg = o->reject_arg;
	io.now = time(NULL);
	rc = store_import_contacts(s, fp, &io, &ist);
	fclose(fp);
	if (rc < 0) {
		snprintf(err, errsz, "import: %s", store_error(s));
		return MC_EDATA;
	}
	d->imported = ist.added + ist.updated + ist.unchanged;
	return 0;
}

/* The demo campaign's settings: the sink as the relay, quick retries. */
static void
demo_settings(const struct demo *d, struct campaign_settings *set,
              const char *template_path)
{
	static const struct {
		enum campaign_opt o;
		const char *v;
	} opts[] = {
	    {CAMPAIGN_OPT_FROM, "news@news.example"},
	    {CAMPAIGN_OPT_TLS, "none"},
	    {CAMPAIGN_OPT_RETRY, "1,2"},
	    {CAMPAIGN_OPT_MAX_AGE, "60"},
	    {CAMPAIGN_OPT_BACKOFF_MAX, "1000"},
	    {CAMPAIGN_OPT_TIMEOUT, "10000"},
	};
	char err[CAMPAIGN_ERR_MAX];

	/* the values are constants that campaign_settings_set accepts */
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		(void)campaign_settings_set(set, opts[i].o, opts[i].v, err,
		                            sizeof(err));
	(void)campaign_settings_set(set, CAMPAIGN_OPT_RELAY, d->listen, err,
	                            sizeof(err));
	(void)campaign_settings_set(set, CAMPAIGN_OPT_TEMPLATE, template_path,
	                            err, sizeof(err));
}

/* Start the two sink children: greylisting now, plain when told. */
static int
demo_sinks(struct demo *d, char *err, size_t errsz)
{
	int port = free_port();

	if (port < 0) {
		snprintf(err, errsz, "no free loopback port");
		return MC_EIO;
	}
	snprintf(d->listen, sizeof(d->listen), "127.0.0.1:%d", port);
	d->sink = sink_fork(d, true, NULL);
	if (d->sink > 0)
		d->sink_next = sink_fork(d, false, &d->go_fd);
	if (d->sink <= 0 || d->sink_next <= 0 || !sink_wait(d, d->sink)) {
		snprintf(err, errsz, "the sink did not start on %s", d->listen);
		return MC_EIO;
	}
	return 0;
}

/* Import, start the sink, create the campaign. */
int
demo_prepare(struct demo *d, struct store *s, const struct demo_opts *o,
             char *err, size_t errsz)
{
	struct campaign_settings set;
	char tpath[600];
	int rc;

	if ((rc = demo_import(d, s, o, err, errsz)) < 0)
		return rc;
	snprintf(tpath, sizeof(tpath), "%s/demo-template.txt", o->data_dir);
	if (access(tpath, R_OK) != 0) {
		snprintf(err, errsz, "%s: %s", tpath, strerror(errno));
		return MC_ENOTFOUND;
	}
	if ((rc = demo_sinks(d, err, errsz)) < 0)
		return rc;
	campaign_settings_init(&set);
	demo_settings(d, &set, tpath);
	campaign_default_name(s, "demo", d->name, sizeof(d->name));
	rc = campaign_create(s, d->name, DEMO_LIST, &set, &d->id, err, errsz);
	campaign_settings_fini(&set);
	return rc;
}

/* Once only retries are left, the receiver stops greylisting. */
static void
demo_progress(void *arg, const struct engine_progress *p)
{
	struct demo *d = arg;

	if (p->waiting && !d->greylist_over) {
		d->greylist_over = true;
		sink_stop(&d->sink);
		if (d->go_fd >= 0) {
			if (write(d->go_fd, "g", 1) == 1)
				(void)sink_wait(d, d->sink_next);
			close(d->go_fd);
			d->go_fd = -1;
		}
	}
	if (d->user && d->user->progress)
		d->user->progress(d->user->progress_arg, p);
}

/* Run the campaign with its saved settings. */
int
demo_run(struct demo *d, struct store *s, const struct campaign_start_opts *o,
         struct campaign_result *res, char *err, size_t errsz)
{
	struct campaign_start_opts mine;
	int rc;

	memset(&mine, 0, sizeof(mine));
	if (o)
		mine = *o;
	d->user = o;
	mine.progress = demo_progress;
	mine.progress_arg = d;
	rc = campaign_resume(s, d->id, &mine, res, err, errsz);
	d->user = NULL;
	return rc;
}

/* The messages in the sink's Maildir. */
unsigned long
demo_delivered(const struct demo *d)
{
	char dir[400];
	DIR *dp;
	struct dirent *de;
	unsigned long n = 0;

	snprintf(dir, sizeof(dir), "%s/new", d->maildir);
	if ((dp = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dp);
	return n;
}

/* Stop the sink children. */
void
demo_fini(struct demo *d)
{
	if (d->go_fd >= 0) {
		close(d->go_fd); /* the waiting child reads EOF and ends */
		d->go_fd = -1;
	}
	sink_stop(&d->sink);
	sink_stop(&d->sink_next);
}
