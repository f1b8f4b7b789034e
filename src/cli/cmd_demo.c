/*
 * cmd_demo.c — `mailcast demo`: the main job on embedded defaults.  The
 * bundled list (data/demo-contacts.csv, 1,000 made-up addresses at
 * .example domains) is imported into a store in a fresh temporary folder,
 * the bundled template is compiled, mailcast's own sink is started on a
 * free loopback port (a child process), and the campaign runs with the
 * progress bar.  The sink rejects reject-* (550 5.1.1) and greylists
 * defer-* (451) until the first pass is over, as a real receiver would;
 * those are then delivered on their retry.  No network, no configuration.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "base/str.h"
#include "base/xmalloc.h"
#include "cli/campaign_run.h"
#include "cli/commands.h"
#include "cli/datadir.h"
#include "cli/store_open.h"
#include "store/store_import.h"

#define DEMO_LIST "demo"

struct demo {
	char dir[256];
	char maildir[300];
	char listen[64];
	pid_t sink;
	bool greylist_over;
};

/* Print the usage. */
static void
usage(FILE *fp)
{
	fprintf(fp,
	        "usage: mailcast demo [--keep-going] [--quiet] [--data DIR]\n"
	        "\n"
	        "Sends the bundled newsletter to the bundled list of 1,000\n"
	        "made-up addresses through mailcast's own sink on a free\n"
	        "loopback port, and shows the report and where the messages\n"
	        "are.  Needs no network and no configuration; everything it\n"
	        "makes is in a new folder under $TMPDIR (or --store URL).\n"
	        "  --data DIR   the folder of demo-contacts.csv and\n"
	        "               demo-template.txt (default $MAILCAST_DATADIR,\n"
	        "               else %s)\n",
	        cli_datadir());
}

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

/* Start the sink as a child (mailcast sink, exec'd: this process has
 * threads); greylist decides the defer-* rule. */
static int
sink_start(struct demo *d, bool greylist)
{
	char *argv[] = {
	    (char *)"mailcast",
	    (char *)"sink",
	    (char *)"--listen",
	    d->listen,
	    (char *)"--maildir",
	    d->maildir,
	    (char *)"--hostname",
	    (char *)"sink.demo.example",
	    (char *)"--quiet",
	    (char *)"--fault",
	    (char *)"rcpt:reject-*=550 5.1.1 no such user here",
	    greylist ? (char *)"--fault" : NULL,
	    (char *)"rcpt:defer-*=451 4.7.1 greylisted, try again later",
	    NULL,
	};
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		setpgid(0, 0); /* Ctrl-C pauses the parent only */
		execv("/proc/self/exe", argv);
		_exit(EX_OSERR);
	}
	d->sink = pid;
	/* wait until it listens (bounded: 5 s) */
	for (int i = 0; i < 500; i++) {
		struct sockaddr_in sa;
		int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port =
		    htons((uint16_t)atoi(strrchr(d->listen, ':') + 1));
		ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		if (ok)
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			d->sink = 0;
			return -1;
		}
		usleep(10000);
	}
	return -1;
}

/* Stop the sink child. */
static void
sink_stop(struct demo *d)
{
	if (d->sink > 0) {
		kill(d->sink, SIGTERM);
		waitpid(d->sink, NULL, 0);
		d->sink = 0;
	}
}

/* Once only retries are left, the receiver stops greylisting. */
static void
demo_progress(void *arg, const struct engine_progress *p)
{
	struct demo *d = arg;

	if (p->waiting && !d->greylist_over) {
		d->greylist_over = true;
		sink_stop(d);
		sink_start(d, false);
	}
}

/* Count the files of dir. */
static unsigned long
count_files(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	unsigned long n = 0;

	if (dp == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dp);
	return n;
}

/* A rejected CSV row (none in the bundled list). */
static void
on_reject(void *arg, unsigned long line, const char *reason, const char *raw,
          size_t rawlen)
{
	(void)arg;
	(void)raw;
	(void)rawlen;
	fprintf(stderr, "mailcast: demo: line %lu: %s\n", line, reason);
}

/* `mailcast demo` */
int
cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"data", required_argument, NULL, 'd'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *data = NULL; /* --data, else cli_datadir() */
	struct demo d;
	struct send_opts o;
	struct store *s = NULL;
	struct store_import_opts io;
	struct store_import_stats ist;
	char path[600], url[400], relay[64], newdir[400];
	const char *tmp = getenv("TMPDIR");
	int64_t list_id, id;
	FILE *fp;
	int ch, rc, port;
	bool quiet = false;

	while ((ch = getopt_long(argc, argv, "d:qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			data = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (data == NULL)
		data = cli_datadir();
	memset(&d, 0, sizeof(d));
	send_opts_init(&o);
	snprintf(d.dir, sizeof(d.dir), "%s/mailcast-demo-XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(d.dir) == NULL) {
		fprintf(stderr, "mailcast: demo: cannot make %s: %s\n", d.dir,
		        strerror(errno));
		return EX_CANTCREAT;
	}
	snprintf(d.maildir, sizeof(d.maildir), "%s/maildir", d.dir);
	if (cli_globals.store == NULL) {
		snprintf(url, sizeof(url), "sqlite:%s/demo.db", d.dir);
		cli_globals.store = url;
	}
	if ((s = cli_store_open("demo")) == NULL)
		return cli_store_exit();

	/* 1. the list */
	snprintf(path, sizeof(path), "%s/demo-contacts.csv", data);
	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr,
		        "mailcast: demo: %s: %s (give --data DIR or set "
		        "MAILCAST_DATADIR)\n",
		        path, strerror(errno));
		rc = EX_NOINPUT;
		goto done;
	}
	memset(&io, 0, sizeof(io));
	io.list = DEMO_LIST;
	io.check = cli_addr_check;
	io.reject = on_reject;
	io.now = time(NULL);
	rc = store_import_contacts(s, fp, &io, &ist);
	fclose(fp);
	if (rc < 0 || store_list_find(s, DEMO_LIST, &list_id) < 0) {
		fprintf(stderr, "mailcast: demo: import: %s\n", store_error(s));
		rc = EX_DATAERR;
		goto done;
	}
	fprintf(stderr, "mailcast: demo: imported %lu contacts from %s\n",
	        ist.added + ist.updated + ist.unchanged, path);

	/* 2. the template */
	snprintf(path, sizeof(path), "%s/demo-template.txt", data);
	o.template_path = realpath(path, NULL);
	if (o.template_path == NULL) {
		fprintf(stderr, "mailcast: demo: %s: %s\n", path,
		        strerror(errno));
		rc = EX_NOINPUT;
		goto done;
	}
	if ((rc = campaign_check_template(s, list_id, o.template_path,
	                                  "demo")) != 0)
		goto done;

	/* 3. the sink */
	if ((port = free_port()) < 0) {
		fprintf(stderr, "mailcast: demo: no free loopback port\n");
		rc = EX_OSERR;
		goto done;
	}
	snprintf(d.listen, sizeof(d.listen), "127.0.0.1:%d", port);
	if (sink_start(&d, true) < 0) {
		fprintf(stderr,
		        "mailcast: demo: the sink did not start on %s\n",
		        d.listen);
		rc = EX_OSERR;
		goto done;
	}
	fprintf(stderr,
	        "mailcast: demo: sink listening on %s (rejects reject-*, "
	        "greylists defer-*)\n",
	        d.listen);

	/* 4. the campaign */
	snprintf(relay, sizeof(relay), "%s", d.listen);
	o.relays[o.nrelays++] = xstrdup(relay);
	o.from = xstrdup("news@news.example");
	o.tls = xstrdup("none");
	o.retry.schedule[0] = 1;
	o.retry.schedule[1] = 2;
	o.retry.n = 2;
	o.retry.max_age = 60;
	o.retry.backoff_max_ms = 1000;
	o.timeout_ms = 10000;
	o.quiet = quiet;
	{
		char name[64];
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(name, sizeof(name), "demo-%Y%m%d-%H%M%S", &tm);
		if (store_begin(s) < 0 ||
		    store_campaign_create(s, name, list_id, now, &id) < 0 ||
		    send_opts_save(s, id, &o, "demo") != 0 ||
		    store_commit(s) < 0) {
			fprintf(stderr, "mailcast: demo: %s\n", store_error(s));
			store_rollback(s);
			rc = EX_IOERR;
			goto done;
		}
	}
	campaign_run_hook(demo_progress, &d);
	rc = campaign_run(s, id, &o, "demo");
	campaign_run_hook(NULL, NULL);
	sink_stop(&d);
	snprintf(newdir, sizeof(newdir), "%s/new", d.maildir);
	printf("\n%lu messages were delivered to the sink's Maildir:\n  %s\n",
	       count_files(newdir), newdir);
	printf("the store: %s\n", cli_globals.store);
	printf("look closer: mailcast --store %s campaign who %lld --state "
	       "failed\n",
	       cli_globals.store, (long long)id);
done:
	sink_stop(&d);
	store_close(s);
	send_opts_fini(&o);
	return rc;
}
