/*
 * wire_value.h — may a value go on a protocol command line?
 *
 * Every protocol core (SMTP, POP3, IMAP, the SASL engine) puts values it
 * was given — a HELO name, an address, a user name, a password, a mailbox
 * name — between its own words and a CRLF.  A CR or LF in such a value ends
 * the line early and makes the rest a command of the caller's choosing; a
 * NUL cuts it short.  The cores check each value once, before anything is
 * written, with these functions, and refuse the whole command (MC_EINVAL,
 * the field named in the message) rather than send an altered one.
 *
 * Stateless, no allocation.  Errors: wire_value_check returns 0 or
 * MC_EINVAL with "FIELD contains a line break" (or "a NUL byte", "a control
 * character") in err.
 */
#ifndef MC_PROTO_WIRE_VALUE_H
#define MC_PROTO_WIRE_VALUE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * What is wrong with s[0..len) on a command line: "a line break" (CR or LF),
 * "a NUL byte", or — only when ctl is true — "a control character" (any
 * other byte below 0x20, and 0x7f); NULL when nothing is.
 */
const char *wire_value_flaw(const char *s, size_t len, bool ctl);
/*
 * Check the NUL-terminated s (NULL passes: no value) as wire_value_flaw()
 * does; 0, or MC_EINVAL with "FIELD contains a line break" in err.
 */
int wire_value_check(const char *field, const char *s, bool ctl, char *err,
                     size_t errsize);

#endif
