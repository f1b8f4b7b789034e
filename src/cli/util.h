/*
 * util.h — what the commands share: one table-driven option parser,
 * numbers, the exit status of a probe.
 *
 * A command describes its options as a table of struct cli_opt (name,
 * type, where the value goes) and calls cli_parse(): --json (-j) sets
 * cli_globals.json for every command; --help prints the
 * usage text to stdout, an unknown option or a bad value prints a message
 * (and, for unknown options, the usage) to stderr.  Secrets and whole files
 * are read by src/app (app/files.h).
 */
#ifndef MC_CLI_UTIL_H
#define MC_CLI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "app/files.h"
#include "app/op.h"
#include "app/secrets.h"

enum cli_opt_type {
	CLI_FLAG,  /* bool *: set */
	CLI_STR,   /* const char **: the argument */
	CLI_INT,   /* int *: a number in [min, max] */
	CLI_LONG,  /* long *: a number in [min, max] */
	CLI_ULL,   /* unsigned long long *: a number in [min, max] */
	CLI_MANY,  /* struct cli_many *: appended, at most max */
	CLI_FN,    /* fn(dst, arg): 0, or after saying why -1 (EX_USAGE) or
	              an exit status */
	CLI_FN0,   /* CLI_FN without an argument: fn(dst, NULL) */
	CLI_YESNO, /* bool *: "yes" true, "no" false, else a usage error */
	CLI_MS,   /* int *: a duration (500ms, 2s; bare: ms) in [min, max] ms */
	CLI_SECS, /* long *: a duration (30s, 5m; bare: s) in [min, max] s */
};

struct cli_opt {
	const char *name;
	enum cli_opt_type type;
	void *dst;
	unsigned long long min, max;
	const char *bad; /* message for a bad value (default: "must be") */
	int (*fn)(void *dst, const char *arg);
	char shortopt; /* 0: long only */
};

/* Table entries: an option with a value or flag, a number in [lo, hi]
 * (bad: the message for anything else, NULL for the default one). */
#define CLI_O(n, t, d)                                                         \
	{                                                                      \
		.name = (n), .type = (t), .dst = (d)                           \
	}
#define CLI_N(n, t, d, lo, hi, b)                                              \
	{                                                                      \
		.name = (n), .type = (t), .dst = (d), .min = (lo),             \
		.max = (hi), .bad = (b)                                        \
	}

struct cli_many {
	const char **v;
	size_t n;
};

struct cli_cmd {
	const char
	    *prefix;       /* of messages: "mailcast probe", "mailcast: send" */
	const char *usage; /* the --help text */
	struct cli_opt *opts; /* ended by a NULL name */
	bool usage_on_bad;    /* print the usage after any usage error */
};

/* How a subcommand uses the store. */
enum cli_store_use {
	CLI_STORE_NONE,
	CLI_STORE_READ,  /* reads only */
	CLI_STORE_WRITE, /* changes it */
};

struct store;

/* What a subcommand's run() gets. */
struct cli_call {
	const char *name;   /* "list show": for messages */
	const char *prefix; /* "mailcast: list show" */
	struct store *s;    /* open, unless CLI_STORE_NONE */
	int argc;           /* the operands, after the options */
	char **argv;
	char err[1024]; /* why, when run() returns MC_E* */
};

/*
 * A subcommand: `mailcast CMD NAME [OPTIONS] OPERANDS`.  run() returns 0,
 * an exit status it has printed the reason for (> 0), or MC_E* with the
 * reason in c->err: "mailcast: CMD NAME: REASON" is printed and the exit
 * status is mc_exit_code()'s.  opts (may be NULL) are parsed first;
 * fewer than min or more than max operands is a usage error.
 */
struct cli_sub {
	const char *name;
	int (*run)(struct cli_call *c);
	enum cli_store_use store;
	int min, max;
	struct cli_opt *opts;
	/* Or, with run NULL: op(s, op_arg, operands) gives a JSON value that
	 * is printed by fmt (cli_out). */
	app_op_fn *op;
	void *op_arg;
	const char *fmt;
};

/* Table entries: a subcommand with a run(), or an op printed by fmt. */
#define CLI_SUB(n, r, st, lo, hi, o)                                           \
	{                                                                      \
		.name = (n), .run = (r), .store = (st), .min = (lo),           \
		.max = (hi), .opts = (o)                                       \
	}
#define CLI_OP(n, f, a, st, lo, hi, o, fm)                                     \
	{                                                                      \
		.name = (n), .store = (st), .min = (lo), .max = (hi),          \
		.opts = (o), .op = (f), .op_arg = (a), .fmt = (fm)             \
	}

/*
 * `mailcast CMD SUB ...` (argv[0] is CMD) by the table subs (ended by a
 * NULL name): --help prints usage; an unknown subcommand is EX_USAGE.
 */
int cli_subs_run(const char *cmd, const char *usage, const struct cli_sub *subs,
                 int argc, char **argv);

/*
 * Parse argv[1..] by c->opts.  Returns the index of the first operand, or
 * -1 with *status EX_OK (--help was printed), EX_USAGE or a CLI_FN's status.
 */
int cli_parse(const struct cli_cmd *c, int argc, char **argv, int *status);
/* Say MSG (a whole line, "mailcast: ..." ) on stderr; returns status. */
int cli_fail(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print v (a JSON value, consumed) to stdout, indented, and a newline. */
void cli_json_print(json_t *v);
/* Print v (consumed) to stdout as one compact line (JSON Lines). */
void cli_json_line(json_t *v);
/* Print v (consumed): with --json as JSON (indented), else as text by
 * fmt (app/json_text.h). */
void cli_out(json_t *v, const char *fmt);
/* Say "PREFIX: MSG" on stderr (then the usage if c->usage_on_bad);
 * EX_USAGE. */
int cli_usage_error(const struct cli_cmd *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * The AUTH password for user (NULL: none wanted) from pwfile or
 * $MAILCAST_AUTH_PASSWORD into secret; *out points at it.  0, or the exit
 * status after saying why (EX_CONFIG; EX_USAGE: a file without a user).
 */
int cli_auth_secret(const struct cli_cmd *c, const char *user,
                    const char *pwfile, char *secret, size_t secretsz,
                    const char **out);
#endif
