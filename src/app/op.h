/*
 * op.h — the shape of an application operation that front ends run by
 * name: the CLI's subcommands (`mailcast contact show ADDR`) and the REST
 * API's routes (`GET /api/v1/contacts/ADDR`) call the same function and
 * print or serve the JSON value it gives.
 *
 * An operation gets the open store (NULL when it needs none), its options
 * (a struct of its own, documented with the function; NULL: defaults),
 * its operands as strings (addresses, ids, names, k=v pairs), and returns
 * 0 with *out (a new reference; the caller prints it and drops it), or a
 * negative MC_E* code with the reason in err (mc_exit_code() gives a
 * command's exit status; the REST layer maps codes to HTTP statuses).
 */
#ifndef MC_APP_OP_H
#define MC_APP_OP_H

#include <stddef.h>

#include <jansson.h>

struct store;

typedef int app_op_fn(struct store *s, void *opts, int argc,
                      const char *const *argv, json_t **out, char *err,
                      size_t errsz);

#endif
