/*
 * cmd_bounces.c — `mailcast bounces parse|fetch|ingest`.
 *
 * parse reads each FILE (a whole message), runs the bounce parser and
 * prints what it found: a short table, or with --json one JSON object per
 * file per line.  A file that cannot be read or is skipped by a parser
 * limit is reported (on stderr, and as {"file","skipped"} in JSON) and the
 * others still go through; the exit status is then EX_NOINPUT or
 * EX_DATAERR.  --stats prints the parse rate (CPU time of the parser only)
 * to stderr; --repeat N parses each file N times for that figure.
 * fetch and ingest arrive with the mailbox clients.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include <jansson.h>

#include "base/error.h"
#include "base/xmalloc.h"
#include "bounce/bounce.h"
#include "cli/commands.h"

/* Print the usage of `bounces`. */
static void
bounces_usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: mailcast bounces parse [--json] [--stats] FILE...\n"
	    "       mailcast bounces fetch --mailbox URL   (not built yet)\n"
	    "       mailcast bounces ingest < MESSAGE      (not built yet)\n"
	    "\n"
	    "parse   print the kind of each message (bounce, complaint,\n"
	    "        auto-reply, not-bounce) and its recipients with action,\n"
	    "        status, reply code, diagnostic, remote MTA and class\n"
	    "        (hard, soft, complaint, auto-reply, not-bounce, unknown)\n"
	    "  --json       one JSON object per file, one per line\n"
	    "  --stats      print messages/s of the parser (CPU time) to "
	    "stderr\n"
	    "  --repeat N   parse each file N times (for --stats)\n");
}

/* Read a whole file of at most max bytes; *len is the file's size even
 * when it is larger (then NULL is returned with errno EFBIG). */
static char *
read_file(const char *path, size_t max, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;
	char *data;

	*len = 0;
	if (fp == NULL)
		return NULL;
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(fp);
		errno = EINVAL;
		return NULL;
	}
	*len = (size_t)st.st_size;
	if (*len > max) {
		fclose(fp);
		errno = EFBIG;
		return NULL;
	}
	data = xmalloc(*len + 1);
	if (fread(data, 1, *len, fp) != *len) {
		free(data);
		fclose(fp);
		errno = EIO;
		return NULL;
	}
	data[*len] = '\0';
	fclose(fp);
	return data;
}

/* A JSON string that tolerates NULL (as ""). */
static json_t *
jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");

	return j ? j : json_string("");
}

/* Print one result as a JSON line. */
static void
print_json(const char *file, const struct bounce_result *r)
{
	json_t *o = json_object(), *a = json_array();

	json_object_set_new(o, "file", jstr(file));
	json_object_set_new(o, "kind", jstr(bounce_kind_name(r->kind)));
	json_object_set_new(o, "format", jstr(r->format));
	for (size_t i = 0; i < r->nrcpts; i++) {
		const struct bounce_rcpt *rc = &r->rcpts[i];
		json_t *j = json_object();
		json_object_set_new(j, "address", jstr(rc->address));
		json_object_set_new(j, "action",
		                    rc->action[0] ? jstr(rc->action)
		                                  : json_null());
		json_object_set_new(j, "status",
		                    rc->status[0] ? jstr(rc->status)
		                                  : json_null());
		json_object_set_new(j, "reply_code",
		                    rc->reply_code
		                        ? json_integer(rc->reply_code)
		                        : json_null());
		json_object_set_new(j, "diagnostic",
		                    rc->diagnostic ? jstr(rc->diagnostic)
		                                   : json_null());
		json_object_set_new(j, "remote_mta",
		                    rc->remote_mta[0] ? jstr(rc->remote_mta)
		                                      : json_null());
		json_object_set_new(j, "reason",
		                    jstr(bounce_reason_name(rc->reason)));
		json_object_set_new(j, "class",
		                    jstr(bounce_class_name(rc->cls)));
		json_array_append_new(a, j);
	}
	json_object_set_new(o, "recipients", a);
	if (r->feedback_type[0])
		json_object_set_new(o, "feedback_type", jstr(r->feedback_type));
	if (r->token[0]) {
		json_object_set_new(o, "token", jstr(r->token));
		json_object_set_new(o, "verp_address", jstr(r->verp_address));
	}
	if (r->original_message_id[0])
		json_object_set_new(o, "original_message_id",
		                    jstr(r->original_message_id));
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s != NULL) {
		puts(s);
		free(s);
	}
	json_decref(o);
}

/* Print one result for a person. */
static void
print_text(const char *file, const struct bounce_result *r)
{
	printf("%s: %s", file, bounce_kind_name(r->kind));
	if (r->format[0])
		printf(" (%s)", r->format);
	if (r->token[0])
		printf(" token %s", r->token);
	printf("\n");
	for (size_t i = 0; i < r->nrcpts; i++) {
		const struct bounce_rcpt *rc = &r->rcpts[i];
		printf("  %-40s %-10s %-7s %3d %s\n", rc->address,
		       bounce_class_name(rc->cls),
		       rc->status[0] ? rc->status : "-", rc->reply_code,
		       rc->diagnostic ? rc->diagnostic : "");
	}
}

/* Report a file that was not parsed. */
static void
print_skip(const char *file, const char *why, bool json)
{
	fprintf(stderr, "mailcast: bounces parse: %s: skipped: %s\n", file,
	        why);
	if (json) {
		json_t *o = json_object();
		json_object_set_new(o, "file", jstr(file));
		json_object_set_new(o, "skipped", jstr(why));
		char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (s != NULL) {
			puts(s);
			free(s);
		}
		json_decref(o);
	}
}

/* CPU seconds of this process. */
static double
cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* `mailcast bounces parse`. */
static int
bounces_parse(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"stats", no_argument, NULL, 's'},
	    {"repeat", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool json = cli_globals.json, stats = false;
	long repeat = 1;
	int ch, status = EX_OK;
	double spent = 0;
	unsigned long parsed = 0;
	struct bounce_result r;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 's':
			stats = true;
			break;
		case 'r':
			repeat = strtol(optarg, NULL, 10);
			if (repeat < 1 || repeat > 100000) {
				fprintf(stderr, "mailcast: bounces parse: "
				                "--repeat wants 1..100000\n");
				return EX_USAGE;
			}
			break;
		case 'h':
			bounces_usage(stdout);
			return EX_OK;
		default:
			bounces_usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "mailcast: bounces parse: no FILE given\n");
		bounces_usage(stderr);
		return EX_USAGE;
	}
	bounce_result_init(&r);
	for (int i = optind; i < argc; i++) {
		const char *file = argv[i];
		char err[256];
		size_t len;
		char *data = read_file(file, BOUNCE_MAX_SIZE, &len);
		int rc = 0;

		if (data == NULL && errno == EFBIG) {
			/* Over the limit: bounce_parse says so without
			 * reading the bytes. */
			rc = bounce_parse(NULL, len, &r, err, sizeof(err));
			print_skip(file, err, json);
			status = EX_DATAERR;
			continue;
		}
		if (data == NULL) {
			print_skip(file, strerror(errno), json);
			if (status == EX_OK)
				status = EX_NOINPUT;
			continue;
		}
		double t0 = cpu_seconds();
		for (long k = 0; k < repeat; k++)
			rc = bounce_parse(data, len, &r, err, sizeof(err));
		spent += cpu_seconds() - t0;
		parsed += (unsigned long)repeat;
		free(data);
		if (rc != 0) {
			print_skip(file, err, json);
			status = EX_DATAERR;
			continue;
		}
		if (json)
			print_json(file, &r);
		else
			print_text(file, &r);
	}
	bounce_result_fini(&r);
	fflush(stdout);
	if (stats)
		fprintf(stderr,
		        "stats: %lu messages parsed in %.3f s CPU: %.0f "
		        "messages/s\n",
		        parsed, spent,
		        spent > 0 ? (double)parsed / spent : 0.0);
	return status;
}

/* `mailcast bounces SUBCOMMAND ...`. */
int
cmd_bounces(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		bounces_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : EX_OK;
	}
	if (strcmp(argv[1], "parse") == 0)
		return bounces_parse(argc - 1, argv + 1);
	if (strcmp(argv[1], "fetch") == 0 || strcmp(argv[1], "ingest") == 0) {
		fprintf(stderr, "mailcast: bounces %s: not built yet\n",
		        argv[1]);
		return EX_UNAVAILABLE;
	}
	fprintf(stderr, "mailcast: bounces: unknown subcommand '%s'\n",
	        argv[1]);
	bounces_usage(stderr);
	return EX_USAGE;
}
