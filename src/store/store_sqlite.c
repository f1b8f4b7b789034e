/*
 * store_sqlite.c — store.h over SQLite.
 *
 * Every statement is prepared once, on first use, and kept (ST_* below).
 * Ops that run several statements wrap them in a transaction of their own
 * unless the caller has one open (begin/commit), so a batch of ledger
 * outcomes or a whole import commits once.  The SQL is kept to what
 * PostgreSQL also speaks (ON CONFLICT, RETURNING, no REPLACE, no rowid
 * tricks), so the PostgreSQL backend can share its shape.
 *
 * Durability: WAL with synchronous=FULL by default, so a commit survives a
 * power cut; a campaign run switches to synchronous=NORMAL for its ledger
 * (durable_commits), which survives a crash of the process and can only
 * roll back the last commits after a power cut (see store.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/str.h"
#include "base/xmalloc.h"
#include "store/ledger_count.h"
#include "store/segment.h"
#include "store/sqlite_vfs.h"
#include "store/store.h"
#include "store/store_import.h"
#include "store/store_sqlite.h"

#define SQLITE_BUSY_MS 10000

/* Migration N takes the schema from version N to N + 1. */
static const char *const migrations[STORE_SQLITE_SCHEMA] = {
    "CREATE TABLE contacts ("
    " id INTEGER PRIMARY KEY,"
    " address TEXT NOT NULL UNIQUE,"
    " domain TEXT NOT NULL,"
    " attrs TEXT NOT NULL DEFAULT '{}',"
    " status TEXT NOT NULL DEFAULT 'active' CHECK (status IN"
    "  ('active','unsubscribed','bounced','complained')),"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE TABLE lists ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " created_at INTEGER NOT NULL);"
    "CREATE TABLE list_members ("
    " list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
    " contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
    " added_at INTEGER NOT NULL,"
    " PRIMARY KEY (list_id, contact_id)) WITHOUT ROWID;"
    "CREATE TABLE suppressions ("
    " entry TEXT PRIMARY KEY,"
    " reason TEXT NOT NULL CHECK (reason IN"
    "  ('unsubscribed','hard-bounce','complaint','manual')),"
    " source TEXT NOT NULL DEFAULT '',"
    " created_at INTEGER NOT NULL);"
    "CREATE TABLE campaigns ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " list_id INTEGER REFERENCES lists(id) ON DELETE SET NULL,"
    " status TEXT NOT NULL DEFAULT 'draft',"
    " created_at INTEGER NOT NULL);"
    "CREATE TABLE deliveries ("
    " id INTEGER PRIMARY KEY,"
    " campaign_id INTEGER NOT NULL REFERENCES campaigns(id),"
    " contact_id INTEGER NOT NULL REFERENCES contacts(id),"
    " state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending',"
    "  'inflight','sent','deferred','failed','bounced','suppressed')),"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt INTEGER NOT NULL DEFAULT 0,"
    " reply_code INTEGER,"
    " enhanced_code TEXT,"
    " reply_text TEXT,"
    " relay TEXT,"
    " queue_id TEXT,"
    " lease_owner TEXT,"
    " lease_expires INTEGER,"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " sent_at INTEGER,"
    " UNIQUE (campaign_id, contact_id));"
    "CREATE INDEX deliveries_due ON deliveries(campaign_id, state, "
    " next_attempt);"
    "CREATE TABLE bounces ("
    " id INTEGER PRIMARY KEY,"
    " campaign_id INTEGER REFERENCES campaigns(id),"
    " contact_id INTEGER REFERENCES contacts(id),"
    " address TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " status_code TEXT,"
    " diagnostic TEXT,"
    " received_at INTEGER NOT NULL);"
    "CREATE TABLE events ("
    " id INTEGER PRIMARY KEY,"
    " at INTEGER NOT NULL,"
    " campaign_id INTEGER REFERENCES campaigns(id),"
    " contact_id INTEGER REFERENCES contacts(id),"
    " kind TEXT NOT NULL,"
    " detail TEXT);",
    /* 2: the CHECKs of contacts and suppressions as OR chains, same
     * meaning: SQLite builds a temporary table for every row inserted to
     * test "x IN (a list of more than two)", which cost an import about a
     * quarter of its time.  A table rebuild (foreign keys are off during
     * migrations, see migrate()); ids are kept. */
    "CREATE TABLE contacts_v2 ("
    " id INTEGER PRIMARY KEY,"
    " address TEXT NOT NULL UNIQUE,"
    " domain TEXT NOT NULL,"
    " attrs TEXT NOT NULL DEFAULT '{}',"
    " status TEXT NOT NULL DEFAULT 'active' CHECK (status = 'active' OR"
    "  status = 'unsubscribed' OR status = 'bounced' OR"
    "  status = 'complained'),"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "INSERT INTO contacts_v2 SELECT id, address, domain, attrs, status,"
    " created_at, updated_at FROM contacts;"
    "DROP TABLE contacts;"
    "ALTER TABLE contacts_v2 RENAME TO contacts;"
    "CREATE TABLE suppressions_v2 ("
    " entry TEXT PRIMARY KEY,"
    " reason TEXT NOT NULL CHECK (reason = 'unsubscribed' OR"
    "  reason = 'hard-bounce' OR reason = 'complaint' OR"
    "  reason = 'manual'),"
    " source TEXT NOT NULL DEFAULT '',"
    " created_at INTEGER NOT NULL);"
    "INSERT INTO suppressions_v2 SELECT entry, reason, source, created_at"
    " FROM suppressions;"
    "DROP TABLE suppressions;"
    "ALTER TABLE suppressions_v2 RENAME TO suppressions;",
    /* 3: bounce effects and the mailbox memory (bounces fetch/ingest);
     * the suppression reason "soft-bounces" (a table rebuild for the
     * CHECK, as in 2). */
    "ALTER TABLE bounces ADD COLUMN source TEXT;"
    "CREATE INDEX bounces_by_address ON bounces(address, kind, "
    " received_at);"
    "CREATE TABLE mailbox_seen ("
    " mailbox TEXT NOT NULL,"
    " uid TEXT NOT NULL,"
    " state INTEGER NOT NULL,"
    " what TEXT,"
    " seen_at INTEGER NOT NULL,"
    " PRIMARY KEY (mailbox, uid)) WITHOUT ROWID;"
    "CREATE TABLE suppressions_v3 ("
    " entry TEXT PRIMARY KEY,"
    " reason TEXT NOT NULL CHECK (reason = 'unsubscribed' OR"
    "  reason = 'hard-bounce' OR reason = 'complaint' OR"
    "  reason = 'manual' OR reason = 'soft-bounces'),"
    " source TEXT NOT NULL DEFAULT '',"
    " created_at INTEGER NOT NULL);"
    "INSERT INTO suppressions_v3 SELECT entry, reason, source, created_at"
    " FROM suppressions;"
    "DROP TABLE suppressions;"
    "ALTER TABLE suppressions_v3 RENAME TO suppressions;",
    /* 4: the token keys of bounce/token.h (one store, one ring: the
     * newest signs, every one verifies; never deleted). */
    "CREATE TABLE token_keys ("
    " id INTEGER PRIMARY KEY,"
    " key TEXT NOT NULL UNIQUE,"
    " signs INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL);",
    /* 5: lease holders, one per run (store.h): the owner name is the key
     * the rows' lease_owner carries; a run's heartbeat is one row, so a
     * beat is one small write and a takeover is one transaction; timeout
     * is the holder's own, so any reader can tell a stale holder. */
    "CREATE TABLE holders ("
    " owner TEXT PRIMARY KEY,"
    " campaign_id INTEGER NOT NULL REFERENCES campaigns(id),"
    " host TEXT NOT NULL,"
    " pid INTEGER NOT NULL,"
    " started_at INTEGER NOT NULL,"
    " heartbeat_at INTEGER NOT NULL,"
    " timeout_s INTEGER NOT NULL);"
    "CREATE INDEX holders_by_campaign ON holders(campaign_id);"
    "CREATE INDEX deliveries_by_owner ON deliveries(lease_owner) WHERE"
    " lease_owner IS NOT NULL;",
    /* 6: one status model (blocklisted, erased) with the time of the
     * last status change; deleted contacts kept hidden for the ledger
     * (deleted_at); the contact audit; the salt of erased addresses'
     * hashes.  A table rebuild for the CHECK, as in 2. */
    "CREATE TABLE contacts_v6 ("
    " id INTEGER PRIMARY KEY,"
    " address TEXT NOT NULL UNIQUE,"
    " domain TEXT NOT NULL,"
    " attrs TEXT NOT NULL DEFAULT '{}',"
    " status TEXT NOT NULL DEFAULT 'active' CHECK (status = 'active' OR"
    "  status = 'unsubscribed' OR status = 'bounced' OR"
    "  status = 'complained' OR status = 'blocklisted' OR"
    "  status = 'erased'),"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " status_at INTEGER,"
    " deleted_at INTEGER);"
    "INSERT INTO contacts_v6 SELECT id, address, domain, attrs, status,"
    " created_at, updated_at, CASE WHEN status <> 'active' THEN"
    " updated_at END, NULL FROM contacts;"
    "DROP TABLE contacts;"
    "ALTER TABLE contacts_v6 RENAME TO contacts;"
    "CREATE INDEX contacts_deleted ON contacts(id) WHERE deleted_at IS NOT"
    " NULL;"
    "CREATE TABLE audit_contexts ("
    " id INTEGER PRIMARY KEY,"
    " actor TEXT NOT NULL,"
    " why TEXT);"
    "CREATE TABLE contact_audit ("
    " id INTEGER PRIMARY KEY,"
    " contact_id INTEGER NOT NULL,"
    " at INTEGER NOT NULL,"
    " ctx INTEGER REFERENCES audit_contexts(id),"
    " action TEXT NOT NULL,"
    " detail TEXT);"
    "CREATE INDEX contact_audit_by_contact ON contact_audit(contact_id, id);"
    "CREATE TABLE store_meta ("
    " key TEXT PRIMARY KEY,"
    " value TEXT NOT NULL);"
    "INSERT INTO store_meta VALUES ('erase_salt',"
    " lower(hex(randomblob(32))));",
    /* 7: campaigns the way list owners work: the template and its
     * attachments frozen with the campaign at create (seq 0 the
     * template, 1.. attachments), and when run-due starts it. */
    "ALTER TABLE campaigns ADD COLUMN scheduled_at INTEGER;"
    "CREATE INDEX campaigns_due ON campaigns(scheduled_at) WHERE"
    " scheduled_at IS NOT NULL;"
    "CREATE TABLE campaign_files ("
    " campaign_id INTEGER NOT NULL REFERENCES campaigns(id),"
    " seq INTEGER NOT NULL,"
    " name TEXT NOT NULL,"
    " data BLOB NOT NULL,"
    " PRIMARY KEY (campaign_id, seq)) WITHOUT ROWID;",
    /* 8: double opt-in: the status pending (a signup not confirmed yet;
     * a table rebuild for the CHECK, as in 6) and the last confirmation
     * message sent to each address (the one-a-day limit). */
    "CREATE TABLE contacts_v8 ("
    " id INTEGER PRIMARY KEY,"
    " address TEXT NOT NULL UNIQUE,"
    " domain TEXT NOT NULL,"
    " attrs TEXT NOT NULL DEFAULT '{}',"
    " status TEXT NOT NULL DEFAULT 'active' CHECK (status = 'active' OR"
    "  status = 'unsubscribed' OR status = 'bounced' OR"
    "  status = 'complained' OR status = 'blocklisted' OR"
    "  status = 'erased' OR status = 'pending'),"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " status_at INTEGER,"
    " deleted_at INTEGER);"
    "INSERT INTO contacts_v8 SELECT id, address, domain, attrs, status,"
    " created_at, updated_at, status_at, deleted_at FROM contacts;"
    "DROP TABLE contacts;"
    "ALTER TABLE contacts_v8 RENAME TO contacts;"
    "CREATE INDEX contacts_deleted ON contacts(id) WHERE deleted_at IS NOT"
    " NULL;"
    "CREATE TABLE signups ("
    " address TEXT PRIMARY KEY,"
    " list_id INTEGER,"
    " ip TEXT NOT NULL,"
    " sent_at INTEGER NOT NULL) WITHOUT ROWID;",
    /* 9: click and open tracking (app/track.h): a campaign's links by
     * index (the target of /c/TOKEN comes from here, never from the
     * token), and one row per click or open (idx -1); a contact's
     * rows go when it is erased or deleted. */
    "CREATE TABLE track_links ("
    " campaign_id INTEGER NOT NULL,"
    " idx INTEGER NOT NULL,"
    " url TEXT NOT NULL,"
    " PRIMARY KEY (campaign_id, idx)) WITHOUT ROWID;"
    "CREATE TABLE track_hits ("
    " id INTEGER PRIMARY KEY,"
    " campaign_id INTEGER NOT NULL,"
    " idx INTEGER NOT NULL,"
    " contact_id INTEGER NOT NULL,"
    " at INTEGER NOT NULL);"
    "CREATE INDEX track_hits_by_link ON track_hits(campaign_id, idx);"
    "CREATE INDEX track_hits_by_contact ON track_hits(contact_id);"
    "CREATE TRIGGER track_hits_erased AFTER UPDATE OF status ON contacts"
    " WHEN new.status = 'erased' BEGIN DELETE FROM track_hits WHERE"
    " contact_id = new.id; END;"
    "CREATE TRIGGER track_hits_deleted AFTER DELETE ON contacts BEGIN"
    " DELETE FROM track_hits WHERE contact_id = old.id; END;",
    /* 10: the webhook outbox (app/webhook.h): one row per event, written
     * by the triggers of webhook_arm in the fact's own transaction, then
     * leased, sent and settled like a delivery; an erased or deleted
     * contact's events go with it. */
    "CREATE TABLE webhook_outbox ("
    " id INTEGER PRIMARY KEY,"
    " event TEXT NOT NULL,"
    " at INTEGER NOT NULL,"
    " contact_id INTEGER,"
    " payload TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'pending',"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt INTEGER NOT NULL DEFAULT 0,"
    " retried_at INTEGER NOT NULL DEFAULT 0,"
    " done_to TEXT NOT NULL DEFAULT '',"
    " error TEXT,"
    " lease_owner TEXT,"
    " lease_expires INTEGER);"
    "CREATE INDEX webhook_outbox_due ON webhook_outbox(next_attempt, id)"
    " WHERE state = 'pending';"
    "CREATE INDEX webhook_outbox_by_contact ON webhook_outbox(contact_id);"
    "CREATE TRIGGER webhook_outbox_erased AFTER UPDATE OF status ON"
    " contacts WHEN new.status = 'erased' BEGIN DELETE FROM webhook_outbox"
    " WHERE contact_id = new.id; END;"
    "CREATE TRIGGER webhook_outbox_deleted AFTER DELETE ON contacts BEGIN"
    " DELETE FROM webhook_outbox WHERE contact_id = old.id; END;",
    /* 11: the REST API's bearer tokens (app/api_token.h): only the
     * SHA-256 of the secret, its scope, and when it was revoked */
    "CREATE TABLE api_tokens ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " scope TEXT NOT NULL,"
    " hash TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " revoked_at INTEGER);",
    /* 12: the dashboard's users (app/user.h): an Argon2id encoding, the
     * role, and the login lockout */
    "CREATE TABLE users ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " role TEXT NOT NULL,"
    " hash TEXT NOT NULL,"
    " failures INTEGER NOT NULL DEFAULT 0,"
    " locked_until INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL);",
    /* 13: fleet limits (docs/fleet.md): connection slots per destination
     * held with an expiry, and a destination's shared token bucket,
     * slow-down step and back-off (times in epoch ms). */
    "CREATE TABLE dest_slots ("
    " dest TEXT NOT NULL,"
    " slot INTEGER NOT NULL,"
    " holder TEXT,"
    " expires_at INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (dest, slot));"
    "CREATE INDEX dest_slots_by_holder ON dest_slots(holder);"
    "CREATE TABLE dest_limits ("
    " dest TEXT PRIMARY KEY,"
    " tokens REAL NOT NULL DEFAULT 0,"
    " refill_at INTEGER NOT NULL DEFAULT 0,"
    " penalty INTEGER NOT NULL DEFAULT 0,"
    " backoff_until INTEGER NOT NULL DEFAULT 0);",
    "SELECT 1;", /* 14: none (a number held for work that did not land) */
    /* 15: the due index holds only the rows a lease looks for (pending,
     * deferred).  A full index on (campaign_id, state, ...) moved every
     * row twice on its way through the ledger (pending -> inflight ->
     * sent: a B-tree delete and insert each, and the WAL frames of the
     * pages they touch); now the inflight mark is one delete and the
     * outcome touches it only for a deferral.  Inflight rows are found
     * through deliveries_by_owner (an inflight row always has an owner). */
    "DROP INDEX deliveries_due;"
    "CREATE INDEX deliveries_due ON deliveries(campaign_id, state, "
    " next_attempt) WHERE state = 'pending' OR state = 'deferred';",
    /* 16: each bounce mailbox's last fetch, also when it found nothing
     * (mailbox_seen only knows the messages) */
    "CREATE TABLE mailbox_fetches ("
    " mailbox TEXT PRIMARY KEY,"
    " at INTEGER NOT NULL,"
    " outcome TEXT NOT NULL,"
    " why TEXT NOT NULL DEFAULT '',"
    " messages INTEGER NOT NULL DEFAULT 0,"
    " summary TEXT NOT NULL DEFAULT '');",
    "SELECT 1;", /* 17: none (a number held for work that did not land) */
    "SELECT 1;", /* 18: none (a number held for work that did not land) */
    /* 19: PostgreSQL's contact audit triggers; SQLite's are TEMP
     * triggers made at open (audit_triggers) */
    "SELECT 1;",
    /* 20: the suppression list's version (supp_version): bumped by every
     * suppression added or rewritten, whoever writes it (also the sqlite3
     * shell), so a running campaign checks again what it is about to
     * send; an INSERT OR IGNORE that adds nothing fires nothing */
    "CREATE TABLE supp_version (n INTEGER NOT NULL);"
    "INSERT INTO supp_version VALUES (0);"
    "CREATE TRIGGER supp_version_add AFTER INSERT ON suppressions BEGIN"
    " UPDATE supp_version SET n = n + 1; END;"
    "CREATE TRIGGER supp_version_change AFTER UPDATE ON suppressions BEGIN"
    " UPDATE supp_version SET n = n + 1; END;",
};

/*
 * The audit triggers, made per connection (TEMP) at open.  A row names its
 * context (who and why: audit_contexts, one row per audit_context call, so
 * an import of a million contacts repeats neither) through this
 * connection's mc_audit_ctx(), which another program opening the file (the
 * sqlite3 shell) does not have: its changes go unrecorded instead of
 * failing.  detail: the status change, or the list joined or left.
 */
#define AUDIT_INSERT                                                           \
	" INSERT INTO contact_audit(contact_id, at, ctx, action, detail) "     \
	"VALUES "
static const char *const audit_triggers[] = {
    "CREATE TEMP TRIGGER audit_add AFTER INSERT ON main.contacts "
    "BEGIN" AUDIT_INSERT "(new.id, new.updated_at, mc_audit_ctx(), 'added', "
    "NULL); END",
    "CREATE TEMP TRIGGER audit_back AFTER UPDATE OF deleted_at ON "
    "main.contacts WHEN old.deleted_at IS NOT NULL AND new.deleted_at IS "
    "NULL BEGIN" AUDIT_INSERT "(new.id, new.updated_at, mc_audit_ctx(), "
    "'added', NULL); END",
    "CREATE TEMP TRIGGER audit_deleted AFTER UPDATE OF deleted_at ON "
    "main.contacts WHEN old.deleted_at IS NULL AND new.deleted_at IS NOT "
    "NULL AND new.status <> 'erased' BEGIN" AUDIT_INSERT "(new.id, "
    "new.deleted_at, mc_audit_ctx(), 'deleted', NULL); END",
    "CREATE TEMP TRIGGER audit_attrs AFTER UPDATE OF attrs ON main.contacts "
    "WHEN old.attrs <> new.attrs AND new.status <> 'erased' BEGIN" AUDIT_INSERT
    "(new.id, new.updated_at, mc_audit_ctx(), 'attributes', "
    "NULL); END",
    "CREATE TEMP TRIGGER audit_status AFTER UPDATE OF status ON "
    "main.contacts WHEN old.status <> new.status BEGIN" AUDIT_INSERT
    "(new.id, new.updated_at, mc_audit_ctx(), 'status', old.status || "
    "' -> ' || new.status); END",
    /* Not for a contact added or changed by the same statement and
     * second (an import): that row's reason names the list already. */
    "CREATE TEMP TRIGGER audit_joined AFTER INSERT ON main.list_members "
    "WHEN (SELECT updated_at FROM main.contacts WHERE id = "
    "new.contact_id) <> new.added_at BEGIN" AUDIT_INSERT "(new.contact_id, "
    "new.added_at, mc_audit_ctx(), 'joined', (SELECT name FROM main.lists "
    "WHERE id = new.list_id)); END",
    "CREATE TEMP TRIGGER audit_left AFTER DELETE ON main.list_members "
    "BEGIN" AUDIT_INSERT "(old.contact_id, CAST(strftime('%s', 'now') AS "
    "INTEGER), mc_audit_ctx(), 'left', (SELECT name FROM main.lists WHERE "
    "id = old.list_id)); END",
};

/* A ledger row this installation sent (or tried to): ingest's proof. */
#define DLV_WAS_SENT                                                           \
	"d.state IN ('sent', 'deferred', 'failed', 'bounced', 'inflight') OR " \
	"d.attempts > 0"
/* A webhook_outbox row as struct store_webhook reads it (since: the start
 * of its current series of attempts, for the maximum age). */
#define WH_ROW                                                                 \
	"id, event, at, payload, state, attempts, next_attempt, done_to, "     \
	"error, max(at, retried_at)"

/*
 * The webhook triggers (webhook_arm): made while webhooks are configured,
 * dropped when not, so a store without webhooks pays nothing on its hot
 * path.  Each writes one outbox row in the transaction of the fact; the
 * payload is the event's JSON (docs/webhooks.md).  A bounce row without
 * a source is the engine's note of a 5xx at send time: that fact is the
 * delivery's "failed" event, not a second "bounced" one.
 */
#define WH_TRIGGERS 4 /* in wh_arm_sql */
#define WH_CAMPAIGN                                                            \
	"'campaign', new.campaign_id, 'campaign_name', (SELECT name FROM "     \
	"campaigns WHERE id = new.campaign_id), 'list', (SELECT l.name FROM "  \
	"campaigns k JOIN lists l ON l.id = k.list_id WHERE k.id = "           \
	"new.campaign_id)"
#define WH_ADDRESS "(SELECT address FROM contacts WHERE id = new.contact_id)"
#define WH_INSERT                                                              \
	" INSERT INTO webhook_outbox(event, at, contact_id, payload) VALUES ("
#define WH_DELIVERY                                                            \
	"CASE new.state WHEN 'sent' THEN 'delivered' ELSE 'failed' END"
#define WH_BOUNCE                                                              \
	"CASE new.kind WHEN 'complaint' THEN 'complained' ELSE 'bounced' END"
static const char wh_arm_sql[] =
    "CREATE TRIGGER IF NOT EXISTS webhook_delivery AFTER UPDATE OF state ON "
    "deliveries WHEN (new.state = 'sent' OR new.state = 'failed') AND "
    "old.state <> new.state BEGIN" WH_INSERT WH_DELIVERY ", new.updated_at, "
    "new.contact_id, json_object('event', " WH_DELIVERY ", 'time', "
    "new.updated_at, " WH_CAMPAIGN ", 'address', " WH_ADDRESS ", 'reply', "
    "json_object('code', new.reply_code, 'enhanced', new.enhanced_code, "
    "'text', new.reply_text))); END;"
    "CREATE TRIGGER IF NOT EXISTS webhook_bounce AFTER INSERT ON bounces "
    "WHEN new.kind IN ('hard', 'soft', 'policy', 'complaint') AND "
    "new.source IS NOT NULL BEGIN" WH_INSERT WH_BOUNCE ", new.received_at, "
    "new.contact_id, json_object('event', " WH_BOUNCE ", 'time', "
    "new.received_at, " WH_CAMPAIGN ", 'address', new.address, 'bounce', "
    "new.kind, 'reply', json_object('code', NULL, 'enhanced', "
    "new.status_code, 'text', new.diagnostic))); END;"
    "CREATE TRIGGER IF NOT EXISTS webhook_unsubscribe AFTER INSERT ON events "
    "WHEN new.kind = 'unsubscribe' BEGIN" WH_INSERT "'unsubscribed', new.at, "
    "new.contact_id, json_object('event', 'unsubscribed', 'time', "
    "new.at, " WH_CAMPAIGN ", 'address', " WH_ADDRESS ")); END;"
    "CREATE TRIGGER IF NOT EXISTS webhook_click AFTER INSERT ON track_hits "
    "WHEN new.idx >= 0 BEGIN" WH_INSERT "'clicked', new.at, new.contact_id, "
    "json_object('event', 'clicked', 'time', new.at, " WH_CAMPAIGN
    ", 'address', " WH_ADDRESS ", 'url', (SELECT url FROM track_links WHERE "
    "campaign_id = new.campaign_id AND idx = new.idx))); END;";
static const char wh_disarm_sql[] =
    "DROP TRIGGER IF EXISTS webhook_delivery;"
    "DROP TRIGGER IF EXISTS webhook_bounce;"
    "DROP TRIGGER IF EXISTS webhook_unsubscribe;"
    "DROP TRIGGER IF EXISTS webhook_click;";

#define DLV_ROW "d.id, d.contact_id, c.address, c.attrs, d.state, d.attempts"
#define CONTACT_ROW                                                            \
	"c.id, c.address, c.domain, c.attrs, c.status, c.created_at, "         \
	"c.status_at"
/* A status's suppression reason, in SQL (store_status_reason()). */
#define SQ_STATUS_REASON                                                       \
	"CASE c.status WHEN 'unsubscribed' THEN 'unsubscribed' WHEN "          \
	"'bounced' THEN 'hard-bounce' WHEN 'complained' THEN 'complaint' "     \
	"ELSE 'manual' END"
/* The columns of a struct store_dlv_row (sq_delivery_each). */
#define DLV_REPORT_ROW                                                         \
	"d.id, d.contact_id, c.address, d.state, d.attempts, d.reply_code, "   \
	"d.enhanced_code, d.reply_text, d.relay, d.queue_id, d.next_attempt, " \
	"d.updated_at, d.sent_at FROM deliveries d JOIN contacts c ON c.id = " \
	"d.contact_id"

/* An import's batch: rows per multi-row statement (sq_contact_upsert_many;
 * 64 rows of 5 parameters stay far below SQLite's 32766). */
#define SQ_BATCH    64
#define SQ_ROWS2(r) r ", " r
#define SQ_ROWS64(r)                                                           \
	SQ_ROWS2(SQ_ROWS2(SQ_ROWS2(SQ_ROWS2(SQ_ROWS2(SQ_ROWS2(r))))))

#define SQ_ROWS_7 SQ_ROWS64("(?, ?, ?, ?, ?, ?, ?)")
#define SQ_ROWS_3 SQ_ROWS64("(?, ?, ?)")
#define SQ_ROWS_2 SQ_ROWS64("(?, ?)")
#define SQ_ROWS_1 SQ_ROWS64("(?)")

/* X(symbol, SQL) */

/* The mailbox aggregate's bound (store.h) as SQL text. */
#define AGG_ROWS "1000"
/* The campaign's complaints, unsubscribes, clicks and opens as (k, t). */
#define AGG_ACTIVITY                                                           \
	"SELECT 'complaint' AS k, received_at AS t FROM bounces WHERE "        \
	"campaign_id = ?1 AND kind = 'complaint' UNION ALL SELECT "            \
	"'unsubscribe', at FROM events WHERE campaign_id = ?1 AND kind = "     \
	"'unsubscribe' UNION ALL SELECT CASE WHEN idx < 0 THEN 'open' ELSE "   \
	"'click' END, at FROM track_hits WHERE campaign_id = ?1"

#define SQL_STMTS(X)                                                           \
	X(ST_BEGIN, "BEGIN IMMEDIATE")                                         \
	X(ST_COMMIT, "COMMIT")                                                 \
	X(ST_ROLLBACK, "ROLLBACK")                                             \
	X(ST_LIST_INSERT, "INSERT INTO lists(name, created_at) VALUES (?1, "   \
	                  "?2) ON CONFLICT (name) DO NOTHING")                 \
	X(ST_LIST_FIND, "SELECT id FROM lists WHERE name = ?1")                \
	X(ST_LIST_DELETE, "DELETE FROM lists WHERE id = ?1")                   \
	X(ST_LIST_EACH, "SELECT l.id, l.name, l.created_at, (SELECT count(*) " \
	                "FROM list_members m WHERE m.list_id = l.id) FROM "    \
	                "lists l ORDER BY l.name")                             \
	X(ST_CONTACT_GET, "SELECT id, attrs, deleted_at FROM contacts WHERE "  \
	                  "address = ?1")                                      \
	X(ST_CONTACT_INSERT,                                                   \
	  "INSERT INTO contacts(address, domain, attrs, created_at, "          \
	  "updated_at) VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (address) DO "  \
	  "NOTHING")                                                           \
	X(ST_CONTACT_UPDATE,                                                   \
	  "UPDATE contacts SET attrs = ?2, updated_at = ?3, deleted_at = "     \
	  "NULL WHERE id = ?1")                                                \
	X(ST_CONTACT_INSERT_MANY,                                              \
	  "INSERT INTO contacts(address, domain, attrs, status, created_at, "  \
	  "updated_at, status_at) VALUES " SQ_ROWS_7 " ON CONFLICT (address) " \
	  "DO NOTHING")                                                        \
	X(ST_CONTACT_MERGE_MANY,                                               \
	  "UPDATE contacts SET attrs = json_patch(contacts.attrs, "            \
	  "v.column2), "                                                       \
	  "updated_at = ? FROM (VALUES " SQ_ROWS_2 ") AS v WHERE "             \
	  "contacts.address = v.column1 AND json_patch(contacts.attrs, "       \
	  "v.column2) <> contacts.attrs")                                      \
	X(ST_CONTACT_STATUS_MANY,                                              \
	  "UPDATE contacts SET status = v.column2, status_at = v.column3, "    \
	  "updated_at = ? FROM (VALUES " SQ_ROWS_3 ") AS v WHERE "             \
	  "contacts.address = v.column1 AND contacts.status = 'active' AND "   \
	  "v.column2 <> 'active'")                                             \
	X(ST_SUPP_SYNC_MANY,                                                   \
	  "INSERT INTO suppressions(entry, reason, source, created_at) "       \
	  "SELECT "                                                            \
	  "c.address, " SQ_STATUS_REASON                                       \
	  ", 'import', ? FROM (VALUES " SQ_ROWS_1                              \
	  ") AS v JOIN contacts c ON c.address = v.column1 WHERE "             \
	  "c.status <> 'active' AND c.status <> 'pending' ON CONFLICT DO "     \
	  "NOTHING")                                                           \
	X(ST_ANY_DELETED, "SELECT EXISTS (SELECT 1 FROM contacts WHERE "       \
	                  "deleted_at IS NOT NULL AND status <> 'erased')")    \
	X(ST_REVIVE_MANY,                                                      \
	  "UPDATE contacts SET deleted_at = NULL, updated_at = ? FROM "        \
	  "(VALUES " SQ_ROWS_1 ") AS v WHERE contacts.address = v.column1 "    \
	  "AND contacts.deleted_at IS NOT NULL")                               \
	X(ST_CONTACT_UPDATE_MANY,                                              \
	  "UPDATE contacts SET attrs = v.column2, updated_at = ? FROM "        \
	  "(VALUES " SQ_ROWS_2 ") AS v WHERE contacts.address = "              \
	  "v.column1 AND contacts.attrs <> v.column2")                         \
	X(ST_CONTACT_MAX_ID, "SELECT max(id) FROM contacts")                   \
	X(ST_MEMBER_INSERT_RANGE,                                              \
	  "INSERT INTO list_members(list_id, contact_id, added_at) SELECT "    \
	  "?1, id, ?2 FROM contacts WHERE id > ?3 AND id <= ?4 ON CONFLICT "   \
	  "DO NOTHING")                                                        \
	X(ST_MEMBER_INSERT_MANY,                                               \
	  "INSERT INTO list_members(list_id, contact_id, added_at) SELECT ?, " \
	  "c.id, ? FROM (VALUES " SQ_ROWS_1 ") AS v JOIN contacts c "          \
	  "ON c.address = v.column1 WHERE true ON CONFLICT DO NOTHING")        \
	X(ST_MEMBER_INSERT, "INSERT INTO list_members(list_id, contact_id, "   \
	                    "added_at) VALUES (?1, ?2, ?3) ON CONFLICT DO "    \
	                    "NOTHING")                                         \
	X(ST_CONTACT_EACH_ALL,                                                 \
	  "SELECT " CONTACT_ROW " FROM contacts c WHERE c.deleted_at IS NULL " \
	  "ORDER BY c.address")                                                \
	X(ST_CONTACT_EACH_LIST,                                                \
	  "SELECT " CONTACT_ROW " FROM list_members m JOIN contacts c ON "     \
	  "c.id = m.contact_id WHERE m.list_id = ?1 ORDER BY c.address")       \
	X(ST_CONTACT_FIRST_ALL,                                                \
	  "SELECT " CONTACT_ROW " FROM contacts c WHERE c.deleted_at IS NULL " \
	  "ORDER BY c.id LIMIT ?2")                                            \
	X(ST_CONTACT_FIRST_LIST,                                               \
	  "SELECT " CONTACT_ROW " FROM list_members m JOIN contacts c ON "     \
	  "c.id = m.contact_id WHERE m.list_id = ?1 ORDER BY m.contact_id "    \
	  "LIMIT ?2")                                                          \
	X(ST_COUNT_ALL, "SELECT count(*) FROM contacts WHERE deleted_at IS "   \
	                "NULL")                                                \
	X(ST_TALLY_ALL, "SELECT status, count(*) FROM contacts WHERE "         \
	                "deleted_at IS NULL GROUP BY 1")                       \
	X(ST_TALLY_LIST,                                                       \
	  "SELECT c.status, count(*) FROM list_members m JOIN "                \
	  "contacts c ON c.id = m.contact_id WHERE m.list_id = "               \
	  "?1 GROUP BY 1")                                                     \
	X(ST_MEMBER_COPY, "INSERT INTO list_members(list_id, contact_id, "     \
	                  "added_at) SELECT ?1, "                              \
	                  "contact_id, ?3 FROM list_members WHERE list_id = "  \
	                  "?2 ON CONFLICT DO "                                 \
	                  "NOTHING")                                           \
	X(ST_CONTACT_BY_ADDR,                                                  \
	  "SELECT " CONTACT_ROW ", (SELECT json_group_array(name) FROM "       \
	  "(SELECT l.name FROM list_members m JOIN lists l ON l.id = "         \
	  "m.list_id WHERE m.contact_id = c.id ORDER BY l.name)) FROM "        \
	  "contacts c WHERE (c.address = ?1 AND c.deleted_at IS NULL) OR "     \
	  "(c.address = ?2 AND c.status = 'erased') ORDER BY c.id DESC "       \
	  "LIMIT 1")                                                           \
	X(ST_CONTACT_PATCH,                                                    \
	  "UPDATE contacts SET attrs = json_patch(attrs, ?2), updated_at = "   \
	  "?3 "                                                                \
	  "WHERE id = ?1 AND deleted_at IS NULL AND json_patch(attrs, ?2) <> " \
	  "attrs")                                                             \
	X(ST_CONTACT_ADDR, "SELECT address, status FROM contacts WHERE id = "  \
	                   "?1 AND deleted_at IS NULL")                        \
	X(ST_MEMBERS_DROP, "DELETE FROM list_members WHERE contact_id = ?1")   \
	X(ST_CONTACT_HIDE, "UPDATE contacts SET attrs = '{}', deleted_at = "   \
	                   "?2, updated_at = ?2 "                              \
	                   "WHERE id = ?1 AND deleted_at IS NULL")             \
	X(ST_CONTACT_SKIP, /* a deleted contact's rows not yet on the wire */  \
	  "UPDATE deliveries SET state = 'suppressed', reply_text = "          \
	  "'" STORE_DELETED_TEXT "', reply_code = NULL, enhanced_code = "      \
	  "NULL, relay = NULL, queue_id = NULL, lease_owner = NULL, "          \
	  "lease_expires = NULL, updated_at = ?2 WHERE campaign_id IN "        \
	  "(SELECT id FROM campaigns) AND contact_id = ?1 AND state IN "       \
	  "('pending', 'deferred')")                                           \
	X(ST_ERASE_SUPP_COPY,                                                  \
	  "INSERT INTO suppressions(entry, reason, source, created_at) "       \
	  "SELECT "                                                            \
	  "?2, reason, 'erased', created_at FROM suppressions WHERE entry = "  \
	  "?1 ON CONFLICT DO NOTHING")                                         \
	X(ST_ERASE_SUPP_ADD, "INSERT INTO suppressions(entry, reason, "        \
	                     "source, created_at) VALUES "                     \
	                     "(?1, ?2, 'erased', ?3) ON CONFLICT DO NOTHING")  \
	X(ST_ERASE_BOUNCES, "UPDATE bounces SET address = ?2, diagnostic = "   \
	                    "NULL WHERE address = ?1 OR contact_id = ?3")      \
	X(ST_ERASE_LEDGER, "UPDATE deliveries SET reply_text = NULL WHERE "    \
	                   "contact_id = ?1")                                  \
	X(ST_ERASE_EVENTS, "UPDATE events SET detail = NULL WHERE contact_id " \
	                   "= ?1")                                             \
	X(ST_ERASE_AUDIT, /* the reasons given for this contact alone */       \
	  "UPDATE audit_contexts SET why = NULL WHERE id IN (SELECT ctx FROM " \
	  "contact_audit WHERE contact_id = ?1) AND id <> ?2 AND NOT EXISTS "  \
	  "(SELECT 1 FROM contact_audit a WHERE a.ctx = audit_contexts.id "    \
	  "AND a.contact_id <> ?1)")                                           \
	X(ST_AUDIT_CTX, "INSERT INTO audit_contexts(actor, why) VALUES (?1, "  \
	                "?2)")                                                 \
	X(ST_ERASE_TAKEN, "SELECT 1 FROM contacts WHERE address = ?1")         \
	X(ST_ERASE_CONTACT,                                                    \
	  "UPDATE contacts SET address = ?2, domain = '', attrs = '{}', "      \
	  "status = 'erased', status_at = ?3, updated_at = ?3, deleted_at = "  \
	  "?3 WHERE id = ?1")                                                  \
	X(ST_HISTORY,                                                          \
	  "SELECT a.at, coalesce(x.actor, 'mailcast'), a.action, CASE WHEN "   \
	  "a.action = 'status' THEN a.detail || coalesce(': ' || x.why, '') "  \
	  "WHEN a.detail IS NOT NULL THEN a.detail ELSE x.why END FROM "       \
	  "contact_audit a LEFT JOIN audit_contexts x ON x.id = a.ctx WHERE "  \
	  "a.contact_id = ?1 ORDER BY a.id")                                   \
	X(ST_COUNT_LIST, "SELECT count(*) FROM list_members WHERE list_id = "  \
	                 "?1")                                                 \
	X(ST_MEMBER_DELETE,                                                    \
	  "DELETE FROM list_members WHERE list_id = ?1 AND contact_id = "      \
	  "(SELECT id FROM contacts WHERE address = ?2)")                      \
	X(ST_CONTACT_DELETE, "DELETE FROM contacts WHERE address = ?1")        \
	X(ST_SUPP_INSERT, "INSERT INTO suppressions(entry, reason, source, "   \
	                  "created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT "   \
	                  "(entry) DO NOTHING")                                \
	X(ST_SUPP_DELETE, "DELETE FROM suppressions WHERE entry = ?1")         \
	X(ST_SUPP_CHECK,                                                       \
	  "SELECT entry, reason, source, created_at FROM suppressions "        \
	  "WHERE entry = ?1 OR entry = ?2 OR entry = ?3 ORDER BY CASE entry "  \
	  "WHEN ?1 THEN 0 WHEN ?3 THEN 1 ELSE 2 END LIMIT 1")                  \
	X(ST_SUPP_MANY, /* json_each first: a key lookup per entry */          \
	  "SELECT j.key, s.entry, s.reason, s.source, s.created_at FROM "      \
	  "json_each(?1) AS j CROSS JOIN suppressions s ON s.entry = j.value " \
	  "ORDER BY j.key")                                                    \
	X(ST_SUPP_ANY_ERASED, /* an entry of an erased address (a hash) */     \
	  "SELECT EXISTS (SELECT 1 FROM suppressions WHERE entry GLOB "        \
	  "'" STORE_ERASE_PREFIX "*')")                                        \
	X(ST_SUPP_VERSION, "SELECT n FROM supp_version")                       \
	X(ST_SUPP_EACH, "SELECT entry, reason, source, created_at FROM "       \
	                "suppressions ORDER BY entry")                         \
	X(ST_CAMPAIGN_INSERT, "INSERT INTO campaigns(name, list_id, "          \
	                      "created_at) VALUES (?1, ?2, ?3) RETURNING id")  \
	X(ST_CAMPAIGN_FILL,                                                    \
	  "INSERT INTO deliveries(campaign_id, contact_id, state, "            \
	  "created_at, updated_at) SELECT ?1, c.id, CASE WHEN c.status <> "    \
	  "'active' OR EXISTS (SELECT 1 FROM suppressions s WHERE s.entry = "  \
	  "c.address) OR EXISTS (SELECT 1 FROM suppressions s WHERE s.entry "  \
	  "= '@' || c.domain) THEN 'suppressed' ELSE "                         \
	  "'pending' END, ?2, ?2 FROM list_members m JOIN contacts c ON "      \
	  "c.id = m.contact_id WHERE m.list_id = ?3 AND c.status <> "          \
	  "'pending'")                                                         \
	X(ST_CAMPAIGN_FIND, "SELECT id FROM campaigns WHERE name = ?1")        \
	X(ST_LEASE_SELECT, /* two index scans merged: no sort of the ledger */ \
	  "SELECT * FROM (SELECT " DLV_ROW ", d.next_attempt FROM "            \
	  "deliveries d JOIN contacts c ON c.id = d.contact_id WHERE "         \
	  "d.campaign_id = ?1 AND d.state = 'pending' AND (d.lease_expires "   \
	  "IS NULL OR d.lease_expires <= ?2) UNION ALL SELECT " DLV_ROW ", "   \
	  "d.next_attempt FROM deliveries d JOIN contacts c ON c.id = "        \
	  "d.contact_id WHERE d.campaign_id = ?1 AND d.state = 'deferred' "    \
	  "AND d.next_attempt <= ?2 AND (d.lease_expires IS NULL OR "          \
	  "d.lease_expires <= ?2) ORDER BY 7, 1 LIMIT ?3)")                    \
	X(ST_LEASE_SELECT_FROM, /* the same, pending rows after a key */       \
	  "SELECT * FROM (SELECT " DLV_ROW ", d.next_attempt FROM "            \
	  "deliveries d JOIN contacts c ON c.id = d.contact_id WHERE "         \
	  "d.campaign_id = ?1 AND d.state = 'pending' AND d.next_attempt = "   \
	  "?4 AND d.id > ?5 AND (d.lease_expires IS NULL OR d.lease_expires "  \
	  "<= ?2) UNION ALL SELECT " DLV_ROW ", d.next_attempt FROM "          \
	  "deliveries d JOIN contacts c ON c.id = d.contact_id WHERE "         \
	  "d.campaign_id = ?1 AND d.state = 'pending' AND d.next_attempt > "   \
	  "?4 AND (d.lease_expires IS NULL OR d.lease_expires <= ?2) UNION "   \
	  "ALL SELECT " DLV_ROW ", d.next_attempt FROM deliveries d JOIN "     \
	  "contacts c ON c.id = d.contact_id WHERE d.campaign_id = ?1 AND "    \
	  "d.state = 'deferred' AND d.next_attempt <= ?2 AND "                 \
	  "(d.lease_expires IS NULL OR d.lease_expires <= ?2) ORDER BY 7, 1 "  \
	  "LIMIT ?3)")                                                         \
	X(ST_LEASE_SET, "UPDATE deliveries SET lease_owner = ?2, "             \
	                "lease_expires = ?3 WHERE id = ?1")                    \
	X(ST_LEASE_SET_MANY, /* ST_LEASE_SET for a JSON array of ids */        \
	  "UPDATE deliveries SET lease_owner = ?2, lease_expires = ?3 WHERE "  \
	  "id IN (SELECT value FROM json_each(?1))")                           \
	X(ST_INFLIGHT,                                                         \
	  "UPDATE deliveries SET state = 'inflight', updated_at = ?3 WHERE "   \
	  "id = ?1 AND lease_owner = ?2 AND state IN ('pending', "             \
	  "'deferred', 'inflight')")                                           \
	X(ST_INFLIGHT_MANY, /* ST_INFLIGHT for a JSON array of ids */          \
	  "UPDATE deliveries SET state = 'inflight', updated_at = ?3 WHERE "   \
	  "id IN (SELECT value FROM json_each(?1)) AND lease_owner = ?2 AND "  \
	  "state IN ('pending', 'deferred', 'inflight')")                      \
	X(ST_RECORD,                                                           \
	  "UPDATE deliveries SET state = ?2, attempts = attempts + 1, "        \
	  "reply_code = ?3, enhanced_code = ?4, reply_text = ?5, relay = "     \
	  "?6, queue_id = ?7, next_attempt = ?8, updated_at = ?9, sent_at "    \
	  "= CASE WHEN ?2 = 'sent' THEN ?9 ELSE sent_at END, lease_owner "     \
	  "= NULL, lease_expires = NULL WHERE id = ?1 AND (?10 IS NULL OR "    \
	  "lease_owner = ?10)")                                                \
	X(ST_STALE_EVENTS,                                                     \
	  "INSERT INTO events(at, campaign_id, contact_id, kind, detail) "     \
	  "SELECT ?2, campaign_id, contact_id, 'inflight-unknown', "           \
	  "lease_owner FROM deliveries WHERE +campaign_id = ?1 AND "           \
	  "lease_owner IS NOT NULL AND state = 'inflight' AND lease_expires "  \
	  "<= ?2")                                                             \
	X(ST_STALE_REQUEUE,                                                    \
	  "UPDATE deliveries SET state = 'pending', lease_owner = NULL, "      \
	  "lease_expires = NULL, updated_at = ?2 WHERE +campaign_id = ?1 "     \
	  "AND lease_owner IS NOT NULL AND state = 'inflight' AND "            \
	  "lease_expires <= ?2")                                               \
	X(ST_COUNT_STATES, "SELECT state, count(*) FROM deliveries WHERE "     \
	                   "campaign_id = ?1 GROUP BY state")                  \
	X(ST_BOUNCE_INSERT,                                                    \
	  "INSERT INTO bounces(campaign_id, contact_id, address, kind, "       \
	  "status_code, diagnostic, received_at) VALUES (?1, ?2, ?3, ?4, "     \
	  "?5, ?6, ?7)")                                                       \
	X(ST_EVENT_INSERT, "INSERT INTO events(at, campaign_id, contact_id, "  \
	                   "kind, detail) VALUES (?1, ?2, ?3, ?4, ?5)")        \
	X(ST_BOUNCE_SRC_INSERT,                                                \
	  "INSERT INTO bounces(campaign_id, contact_id, address, kind, "       \
	  "status_code, diagnostic, received_at, source) VALUES (?1, ?2, ?3, " \
	  "?4, ?5, ?6, ?7, ?8)")                                               \
	X(ST_BOUNCE_COUNT, "SELECT count(*) FROM bounces WHERE address = ?1 "  \
	                   "AND kind = ?2 AND received_at >= ?3")              \
	X(ST_CONTACT_STATUS,                                                   \
	  "UPDATE contacts SET status = ?2, updated_at = ?3, status_at = ?3 "  \
	  "WHERE id = ?1 AND status <> ?2 AND status <> 'erased'")             \
	X(ST_DLV_BOUNCED,                                                      \
	  "UPDATE deliveries SET state = 'bounced', updated_at = ?3 WHERE "    \
	  "campaign_id = ?1 AND contact_id = ?2 AND state IN ('sent', "        \
	  "'deferred', 'failed', 'inflight')")                                 \
	X(ST_CONTACT_EXISTS, "SELECT id FROM contacts WHERE id = ?1")          \
	X(ST_DLV_SENT,                                                         \
	  "SELECT d.campaign_id, c.address FROM deliveries d JOIN contacts c " \
	  "ON c.id = d.contact_id WHERE d.campaign_id = ?1 AND d.contact_id "  \
	  "= ?2 AND (" DLV_WAS_SENT ")")                                       \
	X(ST_DLV_SENT_ANY,                                                     \
	  "SELECT d.campaign_id, c.address FROM campaigns k CROSS JOIN "       \
	  "deliveries d ON d.campaign_id = k.id AND d.contact_id = ?2 JOIN "   \
	  "contacts c ON c.id = d.contact_id WHERE ?1 = 0 AND (" DLV_WAS_SENT  \
	  ") ORDER BY d.updated_at DESC, d.id DESC LIMIT 1")                   \
	X(ST_SIGNUP_MARK,                                                      \
	  "INSERT INTO signups(address, list_id, ip, sent_at) VALUES (?1, "    \
	  "?2, "                                                               \
	  "?3, ?4) ON CONFLICT (address) DO UPDATE SET list_id = "             \
	  "excluded.list_id, ip = excluded.ip, sent_at = excluded.sent_at "    \
	  "WHERE signups.sent_at <= ?5")                                       \
	X(ST_SIGNUP_CONTACT, "SELECT address, status FROM contacts WHERE id "  \
	                     "= ?1 AND deleted_at IS NULL")                    \
	X(ST_SEEN_GET, "SELECT state FROM mailbox_seen WHERE mailbox = ?1 "    \
	               "AND uid = ?2")                                         \
	X(ST_SEEN_PUT,                                                         \
	  "INSERT INTO mailbox_seen(mailbox, uid, state, what, seen_at) "      \
	  "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (mailbox, uid) DO UPDATE "  \
	  "SET state = CASE WHEN excluded.state > mailbox_seen.state THEN "    \
	  "excluded.state ELSE mailbox_seen.state END")                        \
	X(ST_FETCH_PUT,                                                        \
	  "INSERT OR REPLACE INTO mailbox_fetches(mailbox, at, outcome, why, " \
	  "messages, summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")                \
	X(ST_FETCH_EACH, "SELECT mailbox, at, outcome, why, messages, "        \
	                 "summary FROM mailbox_fetches ORDER BY mailbox "      \
	                 "LIMIT " AGG_ROWS)                                    \
	X(ST_CAMPAIGN_GET, "SELECT name, list_id, status, created_at, "        \
	                   "scheduled_at FROM campaigns WHERE id = ?1")        \
	X(ST_CAMPAIGN_STATUS,                                                  \
	  "UPDATE campaigns SET status = ?2 WHERE id = ?1")                    \
	X(ST_RELEASE_ID_EV,                                                    \
	  "INSERT INTO events(at, campaign_id, contact_id, kind, detail) "     \
	  "SELECT ?3, campaign_id, contact_id, ?4, lease_owner FROM "          \
	  "deliveries WHERE id = ?1 AND lease_owner = ?2 AND state = "         \
	  "'inflight'")                                                        \
	X(ST_RELEASE_ID,                                                       \
	  "UPDATE deliveries SET state = CASE WHEN state = 'inflight' THEN "   \
	  "'pending' ELSE state END, lease_owner = NULL, lease_expires = "     \
	  "NULL, updated_at = ?3 WHERE id = ?1 AND lease_owner = ?2")          \
	X(ST_RELEASE_ALL_EV,                                                   \
	  "INSERT INTO events(at, campaign_id, contact_id, kind, detail) "     \
	  "SELECT ?3, campaign_id, contact_id, ?4, lease_owner FROM "          \
	  "deliveries WHERE campaign_id = ?1 AND lease_owner = ?2 AND state "  \
	  "= 'inflight'")                                                      \
	X(ST_RELEASE_ALL,                                                      \
	  "UPDATE deliveries SET state = CASE WHEN state = 'inflight' THEN "   \
	  "'pending' ELSE state END, lease_owner = NULL, lease_expires = "     \
	  "NULL, updated_at = ?3 WHERE campaign_id = ?1 AND lease_owner = ?2") \
	X(ST_LEASE_OWNERS, "SELECT lease_owner, count(*) FROM deliveries "     \
	                   "WHERE +campaign_id = ?1 AND lease_owner IS NOT "   \
	                   "NULL GROUP BY lease_owner")                        \
	X(ST_HOLDER_ADD,                                                       \
	  "INSERT INTO holders(owner, campaign_id, host, pid, started_at, "    \
	  "heartbeat_at, timeout_s) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)")      \
	X(ST_HOLDER_BEAT,                                                      \
	  "UPDATE holders SET heartbeat_at = ?2 WHERE owner = ?1")             \
	X(ST_HOLDER_END, "DELETE FROM holders WHERE owner = ?1")               \
	X(ST_HOLDER_EACH,                                                      \
	  "SELECT h.owner, h.host, h.pid, h.started_at, h.heartbeat_at, "      \
	  "h.timeout_s, (SELECT count(*) FROM deliveries d WHERE "             \
	  "d.lease_owner = h.owner) FROM holders h WHERE h.campaign_id = ?1 "  \
	  "ORDER BY h.started_at, h.owner")                                    \
	X(ST_HOLDER_FRESH, "SELECT 1 FROM holders WHERE owner = ?1 AND "       \
	                   "heartbeat_at >= ?2")                               \
	X(ST_SLOT_SEED,                                                        \
	  "WITH RECURSIVE g(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM g "    \
	  "WHERE n + 1 < ?2) INSERT OR IGNORE INTO dest_slots(dest, slot) "    \
	  "SELECT ?1, n FROM g")                                               \
	X(ST_SLOT_TAKE,                                                        \
	  "UPDATE dest_slots SET holder = ?3, expires_at = ?5 WHERE rowid = "  \
	  "(SELECT s.rowid FROM dest_slots s LEFT JOIN dest_limits l ON "      \
	  "l.dest = s.dest WHERE s.dest = ?1 AND s.slot < max(1, ?2 >> "       \
	  "coalesce(l.penalty, 0)) AND (s.holder IS NULL OR s.expires_at < "   \
	  "?4) AND coalesce(l.backoff_until, 0) <= ?4 ORDER BY s.slot LIMIT "  \
	  "1) RETURNING slot")                                                 \
	X(ST_SLOT_GIVE, "UPDATE dest_slots SET holder = NULL, expires_at = 0 " \
	                "WHERE dest = ?1 AND slot = ?2 AND holder = ?3")       \
	X(ST_SLOT_RENEW, "UPDATE dest_slots SET expires_at = ?3 WHERE "        \
	                 "holder = ?1 AND expires_at >= ?2")                   \
	X(ST_SLOT_EACH,                                                        \
	  "SELECT s.dest, s.slot, s.holder, s.expires_at, "                    \
	  "coalesce(l.penalty, 0), coalesce(l.backoff_until, 0) FROM "         \
	  "dest_slots s LEFT JOIN dest_limits l ON l.dest = s.dest WHERE "     \
	  "s.holder IS NOT NULL AND s.expires_at >= ?1 ORDER BY s.dest, "      \
	  "s.slot")                                                            \
	X(ST_LIMIT_SEED, "INSERT OR IGNORE INTO dest_limits(dest, tokens, "    \
	                 "refill_at) VALUES (?1, ?2, ?3)")                     \
	X(ST_LIMIT_GET, "SELECT tokens, refill_at, penalty FROM dest_limits "  \
	                "WHERE dest = ?1")                                     \
	X(ST_LIMIT_PUT, "UPDATE dest_limits SET tokens = ?2, refill_at = ?3 "  \
	                "WHERE dest = ?1")                                     \
	X(ST_LIMIT_SLOW,                                                       \
	  "INSERT INTO dest_limits(dest, penalty, backoff_until) VALUES (?1, " \
	  "?2, ?3) ON CONFLICT(dest) DO UPDATE SET penalty = excluded.penalty" \
	  ", backoff_until = max(backoff_until, excluded.backoff_until)")      \
	X(ST_TAKE_INFLIGHT,                                                    \
	  "UPDATE deliveries SET state = 'pending', lease_owner = NULL, "      \
	  "lease_expires = NULL, updated_at = ?3 WHERE campaign_id = ?1 AND "  \
	  "lease_owner = ?2 AND state = 'inflight'")                           \
	X(ST_NEXT_DUE, /* one term each: the partial due index */              \
	  "SELECT min(x) FROM (SELECT min(next_attempt) AS x FROM deliveries " \
	  "WHERE campaign_id = ?1 AND state = 'pending' UNION ALL SELECT "     \
	  "min(next_attempt) FROM deliveries WHERE campaign_id = ?1 AND "      \
	  "state = 'deferred')")                                               \
	X(ST_DLV_EACH, "SELECT " DLV_REPORT_ROW " WHERE d.campaign_id = ?1 "   \
	               "ORDER BY d.id")                                        \
	X(ST_DLV_EACH_STATE, "SELECT " DLV_REPORT_ROW " WHERE d.campaign_id "  \
	                     "= ?1 AND d.state = ?2 ORDER BY d.id")            \
	X(ST_DLV_SCAN, "SELECT state, relay, reply_code, enhanced_code, "      \
	               "updated_at FROM deliveries WHERE campaign_id = ?1")    \
	X(ST_AGG_SINCE,                                                        \
	  "SELECT coalesce((SELECT min(at) FROM events WHERE campaign_id = "   \
	  "?1 AND kind = 'run-start'), (SELECT created_at FROM campaigns "     \
	  "WHERE id = ?1))")                                                   \
	X(ST_AGG_BOUNCES, "SELECT kind, '', 0, count(*) FROM bounces WHERE "   \
	                  "campaign_id = ?1 GROUP BY 1 ORDER BY 4 DESC, 1")    \
	X(ST_AGG_ACTIVITY,                                                     \
	  "SELECT '', k, t / 60 * 60, count(*) FROM (" AGG_ACTIVITY ") GROUP " \
	  "BY 2, 3 ORDER BY 3, 2")                                             \
	X(ST_AGG_MAILBOXES,                                                    \
	  "SELECT mailbox, coalesce(what, ''), max(seen_at), count(*) "        \
	  "FROM "                                                              \
	  "mailbox_seen GROUP BY 1, 2 ORDER BY 1, 2 LIMIT " AGG_ROWS)          \
	X(ST_EVENT_EACH,                                                       \
	  "SELECT e.contact_id, c.address, e.kind, e.detail, e.at FROM "       \
	  "events e LEFT JOIN contacts c ON c.id = e.contact_id WHERE "        \
	  "e.campaign_id = ?1 AND (?2 IS NULL OR e.kind = ?2) ORDER BY e.id")  \
	X(ST_TOKEN_KEY_ADD, "INSERT INTO token_keys(key, signs, created_at) "  \
	                    "VALUES (?1, ?2, ?3)")                             \
	X(ST_TOKEN_KEY_EACH, "SELECT id, key, signs, created_at FROM "         \
	                     "token_keys ORDER BY id DESC")                    \
	X(ST_API_TOKEN_ADD, "INSERT INTO api_tokens(name, scope, hash, "       \
	                    "created_at) VALUES (?1, ?2, ?3, ?4)")             \
	X(ST_API_TOKEN_EACH, "SELECT id, name, scope, hash, created_at, "      \
	                     "coalesce(revoked_at, 0) FROM api_tokens WHERE "  \
	                     "?1 = 0 OR id = ?1 ORDER BY id")                  \
	X(ST_API_TOKEN_REVOKE, "UPDATE api_tokens SET revoked_at = ?2 WHERE "  \
	                       "id = ?1 AND revoked_at IS NULL")               \
	X(ST_TRACK_LINK_PUT, "INSERT INTO track_links(campaign_id, idx, url) " \
	                     "VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")     \
	X(ST_TRACK_LINK_EACH,                                                  \
	  "SELECT l.idx, l.url, (SELECT count(*) FROM track_hits h WHERE "     \
	  "h.campaign_id = l.campaign_id AND h.idx = l.idx), (SELECT "         \
	  "count(DISTINCT contact_id) FROM track_hits h WHERE h.campaign_id "  \
	  "= "                                                                 \
	  "l.campaign_id AND h.idx = l.idx) FROM track_links l WHERE "         \
	  "l.campaign_id = ?1 UNION ALL SELECT -1, '', count(*), "             \
	  "count(DISTINCT contact_id) FROM track_hits WHERE campaign_id = ?1 " \
	  "AND idx = -1 ORDER BY 1")                                           \
	X(ST_TRACK_HIT,                                                        \
	  "INSERT INTO track_hits(campaign_id, idx, contact_id, "              \
	  "at) VALUES (?1, ?2, ?3, ?4)")                                       \
	X(ST_CAMPAIGN_EACH,                                                    \
	  "SELECT name, list_id, status, created_at, "                         \
	  "scheduled_at, id FROM campaigns WHERE ?1 IS NULL "                  \
	  "OR status = ?1 ORDER BY id")                                        \
	X(ST_CAMPAIGN_FILE_PUT, "INSERT OR REPLACE INTO campaign_files("       \
	                        "campaign_id, seq, name, data) VALUES (?1, "   \
	                        "?2, ?3, ?4)")                                 \
	X(ST_CAMPAIGN_FILE_EACH, "SELECT seq, name, data FROM campaign_files " \
	                         "WHERE campaign_id = ?1 ORDER BY seq")        \
	X(ST_CAMPAIGN_SCHEDULE, "UPDATE campaigns SET scheduled_at = "         \
	                        "nullif(?2, 0) WHERE id = ?1")                 \
	X(ST_CAMPAIGN_CLAIM,                                                   \
	  "UPDATE campaigns SET scheduled_at = NULL WHERE id = (SELECT id "    \
	  "FROM campaigns WHERE scheduled_at IS NOT NULL AND scheduled_at "    \
	  "<= ?1 ORDER BY scheduled_at, id LIMIT 1) RETURNING id")             \
	X(ST_USER_PUT,                                                         \
	  "INSERT INTO users(name, role, hash, created_at) VALUES (?1, ?2, "   \
	  "?3, ?4) ON CONFLICT(name) DO UPDATE SET role = excluded.role, "     \
	  "hash = excluded.hash, failures = 0, locked_until = 0")              \
	X(ST_USER_GET, "SELECT name, role, hash, failures, locked_until, "     \
	               "created_at FROM users WHERE name = ?1")                \
	X(ST_USER_MARK, "UPDATE users SET failures = ?2, locked_until = ?3 "   \
	                "WHERE name = ?1")                                     \
	X(ST_WEBHOOK_ARMED,                                                    \
	  "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND "     \
	  "name IN ('webhook_delivery', 'webhook_bounce', "                    \
	  "'webhook_unsubscribe', 'webhook_click')")                           \
	X(ST_WEBHOOK_LEASE,                                                    \
	  "UPDATE webhook_outbox SET lease_owner = ?1, lease_expires = ?3 "    \
	  "WHERE id IN (SELECT id FROM webhook_outbox WHERE state = "          \
	  "'pending' AND next_attempt <= ?2 AND (lease_owner IS NULL OR "      \
	  "lease_expires <= ?2) ORDER BY id LIMIT ?4) RETURNING " WH_ROW)      \
	X(ST_WEBHOOK_SETTLE,                                                   \
	  "UPDATE webhook_outbox SET state = ?3, attempts = attempts + 1, "    \
	  "next_attempt = ?4, done_to = ?5, error = ?6, lease_owner = NULL, "  \
	  "lease_expires = NULL WHERE id = ?1 AND lease_owner = ?2")           \
	X(ST_WEBHOOK_EACH, "SELECT " WH_ROW " FROM webhook_outbox WHERE ?1 "   \
	                   "IS NULL OR state = ?1 ORDER BY id")                \
	X(ST_WEBHOOK_RETRY,                                                    \
	  "UPDATE webhook_outbox SET state = 'pending', next_attempt = ?2, "   \
	  "retried_at = ?2, attempts = 0, lease_owner = NULL, lease_expires "  \
	  "= NULL WHERE (?1 = 0 AND state = 'failed') OR (?1 <> 0 AND id = "   \
	  "?1 AND state <> 'pending')")

enum sql_stmt {
#define SQL_ENUM(sym, sql) sym,
	SQL_STMTS(SQL_ENUM)
#undef SQL_ENUM
	    ST__COUNT
};

static const char *const sql_text[] = {
#define SQL_TEXT(sym, sql) sql,
    SQL_STMTS(SQL_TEXT)
#undef SQL_TEXT
};

/*
 * WAL checkpoints on a thread of their own, while commits are not full
 * (durable_commits(false): a campaign run's many small ledger commits).
 * SQLite checkpoints in the committing thread once the WAL passes 1,000
 * pages: the copy into the database and its two fsyncs (a few ms, tens on
 * a busy disk) would stall every connection of the run's loop.  Here the
 * commit only signals the thread, which checkpoints PASSIVE (never
 * blocking the writer) on a connection of its own.  A WAL the thread
 * lets grow past CKPT_FRAMES_MAX pages is checkpointed by the committer,
 * as before.
 */
#define CKPT_FRAMES     1000
#define CKPT_FRAMES_MAX 16000
struct ckpt {
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	sqlite3 *db; /* the thread's connection; NULL: no thread */
	bool want, stop;
	int seen;    /* the WAL's frames at the last commit */
	int next_at; /* the next checkpoint when the WAL has this many */
};

struct store_sqlite {
	struct store base; /* first: a struct store * points here */
	sqlite3 *db;
	struct ckpt ck;
	sqlite3_stmt *st[ST__COUNT];
	int in_txn;          /* caller's begin() is open */
	int64_t ctx;         /* audit_context's row; 0: none (NULL) */
	char salt[80];       /* store_meta's erase_salt */
	bool supp_versioned; /* schema 20: the table supp_version */
	char hit_entry[STORE_ADDRESS_MAX + 2];
	char hit_source[256];
};

static struct store_sqlite *
SQ(struct store *s)
{
	return (struct store_sqlite *)s;
}

/* Record the database's error for op; returns MC_EIO. */
static int
db_fail(struct store_sqlite *q, const char *op)
{
	return store_fail(&q->base, MC_EIO, "sqlite: %s: %s", op,
	                  sqlite3_errmsg(q->db));
}

/* The cached statement, prepared on first use and reset for reuse. */
static sqlite3_stmt *
stmt(struct store_sqlite *q, enum sql_stmt id)
{
	if (q->st[id] == NULL) {
		if (sqlite3_prepare_v3(q->db, sql_text[id], -1,
		                       SQLITE_PREPARE_PERSISTENT, &q->st[id],
		                       NULL) != SQLITE_OK)
			return NULL;
	} else {
		sqlite3_reset(q->st[id]);
		sqlite3_clear_bindings(q->st[id]);
	}
	return q->st[id];
}

/* Bind a string, or NULL for a NULL pointer. */
static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* Bind an id, NULL for 0 (no row). */
static void
bind_id(sqlite3_stmt *st, int i, int64_t v)
{
	if (v == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

/* Run a statement that returns no rows. */
static int
exec_done(struct store_sqlite *q, sqlite3_stmt *st, const char *op)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		rc = db_fail(q, op);
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	return 0;
}

/* Run a cached statement with no parameters. */
static int
exec_simple(struct store_sqlite *q, enum sql_stmt id, const char *op)
{
	sqlite3_stmt *st = stmt(q, id);

	if (st == NULL)
		return db_fail(q, op);
	return exec_done(q, st, op);
}

/* Open our own transaction unless the caller has one; *own says which. */
static int
txn_enter(struct store_sqlite *q, int *own)
{
	*own = !q->in_txn;
	return *own ? exec_simple(q, ST_BEGIN, "begin") : 0;
}

/* Commit (err == 0) or roll back our own transaction; returns err. */
static int
txn_leave(struct store_sqlite *q, int own, int err)
{
	if (!own)
		return err;
	if (err == 0)
		return exec_simple(q, ST_COMMIT, "commit");
	exec_simple(q, ST_ROLLBACK, "rollback");
	return err;
}

/* op: begin */
static int
sq_begin(struct store *s)
{
	struct store_sqlite *q = SQ(s);
	int err;

	if (q->in_txn)
		return store_fail(s, MC_EINVAL, "transaction already open");
	if ((err = exec_simple(q, ST_BEGIN, "begin")) == 0)
		q->in_txn = 1;
	return err;
}

/* op: commit */
static int
sq_commit(struct store *s)
{
	struct store_sqlite *q = SQ(s);

	if (!q->in_txn)
		return store_fail(s, MC_EINVAL, "no transaction open");
	q->in_txn = 0;
	return exec_simple(q, ST_COMMIT, "commit");
}

/* op: rollback */
static int
sq_rollback(struct store *s)
{
	struct store_sqlite *q = SQ(s);

	if (!q->in_txn)
		return store_fail(s, MC_EINVAL, "no transaction open");
	q->in_txn = 0;
	return exec_simple(q, ST_ROLLBACK, "rollback");
}

/* Look up an id by name with a one-parameter statement. */
static int
find_id(struct store_sqlite *q, enum sql_stmt id, const char *what,
        const char *name, int64_t *out)
{
	sqlite3_stmt *st = stmt(q, id);
	int rc;

	if (st == NULL)
		return db_fail(q, what);
	bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(q, what);
	return store_fail(&q->base, MC_ENOTFOUND, "no %s named '%s'", what,
	                  name);
}

/* op: list_find */
static int
sq_list_find(struct store *s, const char *name, int64_t *id)
{
	return find_id(SQ(s), ST_LIST_FIND, "list", name, id);
}

/* op: list_ensure */
static int
sq_list_ensure(struct store *s, const char *name, time_t now, int64_t *id)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st;
	int err;

	if (name == NULL || *name == '\0' || strlen(name) > STORE_NAME_MAX)
		return store_fail(s, MC_EINVAL, "a list name is 1 to %d bytes",
		                  STORE_NAME_MAX);
	if ((st = stmt(q, ST_LIST_INSERT)) == NULL)
		return db_fail(q, "list");
	bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, now);
	if ((err = exec_done(q, st, "list")) < 0)
		return err;
	return sq_list_find(s, name, id);
}

/* op: list_delete */
static int
sq_list_delete(struct store *s, int64_t list_id)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_LIST_DELETE);
	int err;

	if (st == NULL)
		return db_fail(q, "list delete");
	sqlite3_bind_int64(st, 1, list_id);
	if ((err = exec_done(q, st, "list delete")) < 0)
		return err;
	if (sqlite3_changes(q->db) == 0)
		return store_fail(s, MC_ENOTFOUND, "no list with id %lld",
		                  (long long)list_id);
	return 0;
}

/* op: list_each */
static int
sq_list_each(struct store *s, store_list_fn *fn, void *arg)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_LIST_EACH);
	int rc, stop = 0;

	if (st == NULL)
		return db_fail(q, "lists");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_list_info l = {
		    .id = sqlite3_column_int64(st, 0),
		    .name = (const char *)sqlite3_column_text(st, 1),
		    .created = (time_t)sqlite3_column_int64(st, 2),
		    .members = (unsigned long)sqlite3_column_int64(st, 3),
		};
		if ((stop = fn(arg, &l)) != 0)
			break;
	}
	if (stop == 0 && rc != SQLITE_DONE)
		stop = db_fail(q, "lists");
	sqlite3_reset(st);
	return stop;
}

/* op: contact_upsert — try the insert first: a new contact (the common
 * case of a first import) then costs one statement. */
static int
sq_contact_upsert(struct store *s, const char *address, const char *domain,
                  const char *attrs, int64_t list_id, time_t now, int *result,
                  int *joined)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_CONTACT_INSERT);
	int64_t id = 0;
	int rc, err;

	*result = *joined = 0;
	if (st == NULL)
		return db_fail(q, "contact insert");
	if (attrs == NULL)
		attrs = "{}";
	bind_text(st, 1, address);
	bind_text(st, 2, domain);
	bind_text(st, 3, attrs);
	sqlite3_bind_int64(st, 4, now);
	/* Not RETURNING: SQLite builds a temporary table for it. */
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(q, "contact insert");
	if (sqlite3_changes(q->db) > 0) {
		id = sqlite3_last_insert_rowid(q->db);
		*result = 1;
	} else {
		if ((st = stmt(q, ST_CONTACT_GET)) == NULL)
			return db_fail(q, "contact");
		bind_text(st, 1, address);
		if (sqlite3_step(st) != SQLITE_ROW) {
			err = db_fail(q, "contact");
			sqlite3_reset(st);
			return err;
		}
		const char *old = (const char *)sqlite3_column_text(st, 1);
		bool deleted = sqlite3_column_type(st, 2) != SQLITE_NULL;

		id = sqlite3_column_int64(st, 0);
		*result =
		    old == NULL || strcmp(old, attrs) != 0 || deleted ? 2 : 0;
		sqlite3_reset(st);
		if (*result == 2) {
			if ((st = stmt(q, ST_CONTACT_UPDATE)) == NULL)
				return db_fail(q, "contact update");
			sqlite3_bind_int64(st, 1, id);
			bind_text(st, 2, attrs);
			sqlite3_bind_int64(st, 3, now);
			if ((err = exec_done(q, st, "contact update")) < 0)
				return err;
		}
	}
	if (list_id > 0) {
		if ((st = stmt(q, ST_MEMBER_INSERT)) == NULL)
			return db_fail(q, "membership");
		sqlite3_bind_int64(st, 1, list_id);
		sqlite3_bind_int64(st, 2, id);
		sqlite3_bind_int64(st, 3, now);
		if ((err = exec_done(q, st, "membership")) < 0)
			return err;
		*joined = sqlite3_changes(q->db) > 0;
	}
	return 0;
}

/* A one-row query's first column (0 when no row). */
static int
int64_query(struct store_sqlite *q, enum sql_stmt id, const char *op,
            int64_t *out)
{
	sqlite3_stmt *st = stmt(q, id);
	int rc;

	*out = 0;
	if (st == NULL)
		return db_fail(q, op);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(q, op);
}

/* A one-row query's first column as a yes or no. */
static int
exists_query(struct store_sqlite *q, enum sql_stmt id, const char *op, int *yes)
{
	int64_t v;
	int rc = int64_query(q, id, op, &v);

	*yes = v != 0;
	return rc;
}

/* Bind the batch's addresses (SQ_BATCH of them from parameter first,
 * every stride parameters) and run the statement; *changed its changes. */
static int
batch_by_address(struct store_sqlite *q, enum sql_stmt id, const char *op,
                 const struct store_contact_in *rows, size_t n, time_t now,
                 unsigned long *changed)
{
	sqlite3_stmt *st = stmt(q, id);
	int err;

	if (st == NULL)
		return db_fail(q, op);
	sqlite3_bind_int64(st, 1, now);
	for (int i = 0; i < SQ_BATCH; i++)
		bind_text(st, i + 2,
		          rows[(size_t)i < n ? (size_t)i : n - 1].address);
	if ((err = exec_done(q, st, op)) < 0)
		return err;
	if (changed != NULL)
		*changed = (unsigned long)sqlite3_changes(q->db);
	return 0;
}

/* Up to SQ_BATCH rows in a few statements (fewer rows are padded with
 * copies of the last: a repeated address changes nothing twice): a
 * multi-row insert; the memberships of the new contacts by id range;
 * only if some addresses were there already, one UPDATE of those whose
 * attributes change and one membership INSERT ... SELECT joined on the
 * addresses; only if the batch carries statuses, their update and the
 * suppression entries that go with them. */
static int
upsert_batch(struct store_sqlite *q, const struct store_contact_in *rows,
             size_t n, int64_t list_id, time_t now, unsigned flags, bool revive,
             struct store_upsert_counts *c)
{
	sqlite3_stmt *st;
	unsigned long added, updated = 0, joined = 0;
	int64_t max_before = 0, max_after;
	bool statuses = false;
	int i, err;

#define ROW(i) (&rows[(size_t)(i) < n ? (size_t)(i) : n - 1])
	for (size_t k = 0; k < n; k++)
		statuses |= rows[k].status != NULL &&
		            strcmp(rows[k].status, "active") != 0;
	if (revive && (err = batch_by_address(q, ST_REVIVE_MANY, "contact",
	                                      rows, n, now, NULL)) < 0)
		return err;
	if (list_id > 0) {
		if ((st = stmt(q, ST_CONTACT_MAX_ID)) == NULL)
			return db_fail(q, "contact ids");
		if (sqlite3_step(st) != SQLITE_ROW) {
			err = db_fail(q, "contact ids");
			sqlite3_reset(st);
			return err;
		}
		max_before = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	if ((st = stmt(q, ST_CONTACT_INSERT_MANY)) == NULL)
		return db_fail(q, "contact insert");
	for (i = 0; i < SQ_BATCH; i++) {
		const struct store_contact_in *r = ROW(i);
		bool active =
		    r->status == NULL || strcmp(r->status, "active") == 0;

		bind_text(st, 7 * i + 1, r->address);
		bind_text(st, 7 * i + 2, r->domain);
		bind_text(st, 7 * i + 3, r->attrs ? r->attrs : "{}");
		bind_text(st, 7 * i + 4, active ? "active" : r->status);
		sqlite3_bind_int64(st, 7 * i + 5,
		                   r->subscribed ? r->subscribed : now);
		sqlite3_bind_int64(st, 7 * i + 6, now);
		if (active && r->status_at == 0)
			sqlite3_bind_null(st, 7 * i + 7);
		else
			sqlite3_bind_int64(st, 7 * i + 7,
			                   r->status_at ? r->status_at : now);
	}
	if ((err = exec_done(q, st, "contact insert")) < 0)
		return err;
	added = (unsigned long)sqlite3_changes(q->db);
	if (added < n) {
		enum sql_stmt up = flags & STORE_UPSERT_REPLACE
		                       ? ST_CONTACT_UPDATE_MANY
		                       : ST_CONTACT_MERGE_MANY;

		if ((st = stmt(q, up)) == NULL)
			return db_fail(q, "contact update");
		sqlite3_bind_int64(st, 1, now);
		for (i = 0; i < SQ_BATCH; i++) {
			bind_text(st, 2 * i + 2, ROW(i)->address);
			bind_text(st, 2 * i + 3,
			          ROW(i)->attrs ? ROW(i)->attrs : "{}");
		}
		if ((err = exec_done(q, st, "contact update")) < 0)
			return err;
		updated = (unsigned long)sqlite3_changes(q->db);
		if (statuses) {
			if ((st = stmt(q, ST_CONTACT_STATUS_MANY)) == NULL)
				return db_fail(q, "contact status");
			sqlite3_bind_int64(st, 1, now);
			for (i = 0; i < SQ_BATCH; i++) {
				const struct store_contact_in *r = ROW(i);

				bind_text(st, 3 * i + 2, r->address);
				bind_text(st, 3 * i + 3,
				          r->status ? r->status : "active");
				sqlite3_bind_int64(st, 3 * i + 4,
				                   r->status_at ? r->status_at
				                                : now);
			}
			if ((err = exec_done(q, st, "contact status")) < 0)
				return err;
		}
	}
	if (statuses &&
	    (err = batch_by_address(q, ST_SUPP_SYNC_MANY, "suppress", rows, n,
	                            now, NULL)) < 0)
		return err;
	c->added += added;
	c->updated += updated;
	c->unchanged += n - added - updated;
	if (list_id <= 0)
		return 0;
	/* Every id above the old maximum is a contact this batch added: its
	 * memberships need no second look-up of the addresses.  That covers
	 * the whole batch unless some rows were there already (or SQLite,
	 * at the end of the id space, picked ids below the maximum). */
	if (added > 0) {
		if ((st = stmt(q, ST_MEMBER_INSERT_RANGE)) == NULL)
			return db_fail(q, "membership");
		max_after = sqlite3_last_insert_rowid(q->db);
		sqlite3_bind_int64(st, 1, list_id);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, max_before);
		sqlite3_bind_int64(st, 4, max_after);
		if ((err = exec_done(q, st, "membership")) < 0)
			return err;
		joined = (unsigned long)sqlite3_changes(q->db);
	}
	if (joined < n) {
		if ((st = stmt(q, ST_MEMBER_INSERT_MANY)) == NULL)
			return db_fail(q, "membership");
		sqlite3_bind_int64(st, 1, list_id);
		sqlite3_bind_int64(st, 2, now);
		for (i = 0; i < SQ_BATCH; i++)
			bind_text(st, i + 3, ROW(i)->address);
		if ((err = exec_done(q, st, "membership")) < 0)
			return err;
		joined += (unsigned long)sqlite3_changes(q->db);
	}
	c->joined += joined;
#undef ROW
	return 0;
}

/* After each commit (the committing thread): wake the checkpointer. */
static int
ckpt_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct ckpt *ck = arg;

	pthread_mutex_lock(&ck->mu);
	if (frames < ck->seen) /* the WAL started again from its head */
		ck->next_at = CKPT_FRAMES;
	ck->seen = frames;
	if (frames >= ck->next_at) {
		ck->want = true;
		ck->next_at = frames + CKPT_FRAMES;
		pthread_cond_signal(&ck->cv);
	}
	pthread_mutex_unlock(&ck->mu);
	/* The WAL starts again from its head only after a checkpoint that
	 * copied every frame, which the thread seldom manages while the
	 * writer goes on: at CKPT_FRAMES_MAX the committer copies what is
	 * left (the thread copied the rest), and the WAL can restart. */
	if (frames >= CKPT_FRAMES_MAX)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
		                          NULL, NULL);
	return SQLITE_OK;
}

static void *
ckpt_main(void *arg)
{
	struct ckpt *ck = arg;

	pthread_mutex_lock(&ck->mu);
	for (;;) {
		while (!ck->want && !ck->stop)
			pthread_cond_wait(&ck->cv, &ck->mu);
		if (ck->stop)
			break;
		ck->want = false;
		pthread_mutex_unlock(&ck->mu);
		sqlite3_wal_checkpoint_v2(
		    ck->db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&ck->mu);
	}
	pthread_mutex_unlock(&ck->mu);
	return NULL;
}

/* Start the checkpoint thread (a file in WAL mode only); quietly none
 * when it cannot start: SQLite then checkpoints as it always does. */
static void
ckpt_start(struct store_sqlite *q)
{
	struct ckpt *ck = &q->ck;
	const char *file = sqlite3_db_filename(q->db, "main");
	sqlite3_stmt *st = NULL;
	bool wal = false;

	if (ck->db != NULL || file == NULL || file[0] == '\0')
		return;
	if (sqlite3_prepare_v2(q->db, "PRAGMA journal_mode", -1, &st, NULL) ==
	        SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		wal = strcmp((const char *)sqlite3_column_text(st, 0), "wal") ==
		      0;
	sqlite3_finalize(st);
	if (!wal)
		return;
	if (sqlite3_open_v2(file, &ck->db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(ck->db);
		ck->db = NULL;
		return;
	}
	sqlite3_busy_timeout(ck->db, SQLITE_BUSY_MS);
	/* a read opens the connection's WAL (until then a checkpoint on it
	 * does nothing) */
	if (sqlite3_exec(ck->db, "SELECT count(*) FROM sqlite_schema", NULL,
	                 NULL, NULL) != SQLITE_OK) {
		sqlite3_close(ck->db);
		ck->db = NULL;
		return;
	}
	pthread_mutex_init(&ck->mu, NULL);
	pthread_cond_init(&ck->cv, NULL);
	ck->want = ck->stop = false;
	ck->seen = 0;
	ck->next_at = CKPT_FRAMES;
	if (pthread_create(&ck->thr, NULL, ckpt_main, ck) != 0) {
		pthread_cond_destroy(&ck->cv);
		pthread_mutex_destroy(&ck->mu);
		sqlite3_close(ck->db);
		ck->db = NULL;
		return;
	}
	sqlite3_wal_hook(q->db, ckpt_hook, ck);
}

/* Stop it: SQLite's own checkpoints again, in the committing thread. */
static void
ckpt_stop(struct store_sqlite *q)
{
	struct ckpt *ck = &q->ck;

	if (ck->db == NULL)
		return;
	sqlite3_wal_autocheckpoint(q->db, CKPT_FRAMES); /* replaces our hook */
	pthread_mutex_lock(&ck->mu);
	ck->stop = true;
	pthread_cond_signal(&ck->cv);
	pthread_mutex_unlock(&ck->mu);
	pthread_join(ck->thr, NULL);
	pthread_cond_destroy(&ck->cv);
	pthread_mutex_destroy(&ck->mu);
	sqlite3_close(ck->db);
	ck->db = NULL;
}

/* op: durable_commits — synchronous FULL or NORMAL (WAL); not full also
 * moves the WAL's checkpoints to a thread (struct ckpt). */
static int
sq_durable_commits(struct store *s, bool full)
{
	struct store_sqlite *q = SQ(s);

	if (full)
		ckpt_stop(q);
	else
		ckpt_start(q);
	if (sqlite3_exec(q->db,
	                 full ? "PRAGMA synchronous = FULL"
	                      : "PRAGMA synchronous = NORMAL",
	                 NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(q, "synchronous");
	return 0;
}

/* op: contact_upsert_many — batches of SQ_BATCH, the last one padded. */
static int
sq_contact_upsert_many(struct store *s, const struct store_contact_in *rows,
                       size_t n, int64_t list_id, time_t now, unsigned flags,
                       struct store_upsert_counts *c)
{
	struct store_sqlite *q = SQ(s);
	int own, err, revive = 0;

	if ((err = txn_enter(q, &own)) < 0)
		return err;
	err = exists_query(q, ST_ANY_DELETED, "contacts", &revive);
	for (; n > 0 && err == 0;
	     rows += SQ_BATCH, n -= n < SQ_BATCH ? n : SQ_BATCH)
		err = upsert_batch(q, rows, n < SQ_BATCH ? n : SQ_BATCH,
		                   list_id, now, flags, revive, c);
	return txn_leave(q, own, err);
}

/* Each row of st (CONTACT_ROW's columns) to fn: fn's non-zero return,
 * the database's error (what names the rows), or 0. */
static int
contact_rows(struct store_sqlite *q, sqlite3_stmt *st, store_contact_fn *fn,
             void *arg, const char *what)
{
	int rc, stop = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_contact c = {
		    .id = sqlite3_column_int64(st, 0),
		    .address = (const char *)sqlite3_column_text(st, 1),
		    .domain = (const char *)sqlite3_column_text(st, 2),
		    .attrs = (const char *)sqlite3_column_text(st, 3),
		    .status = (const char *)sqlite3_column_text(st, 4),
		    .created = (time_t)sqlite3_column_int64(st, 5),
		    .status_at = (time_t)sqlite3_column_int64(st, 6),
		};
		if ((stop = fn(arg, &c)) != 0)
			return stop;
	}
	return rc == SQLITE_DONE ? 0 : db_fail(q, what);
}

/* op: contact_each */
/* The contacts of a list (0: all) from statement `list` or `all`; n > 0
 * binds ?2, their LIMIT. */
static int
contact_walk(struct store_sqlite *q, enum sql_stmt list, enum sql_stmt all,
             int64_t list_id, size_t n, store_contact_fn *fn, void *arg)
{
	sqlite3_stmt *st = stmt(q, list_id > 0 ? list : all);
	int stop;

	if (st == NULL)
		return db_fail(q, "contacts");
	if (list_id > 0)
		sqlite3_bind_int64(st, 1, list_id);
	if (n > 0)
		sqlite3_bind_int64(st, 2, (sqlite3_int64)n);
	stop = contact_rows(q, st, fn, arg, "contacts");
	sqlite3_reset(st);
	return stop;
}

static int
sq_contact_each(struct store *s, int64_t list_id, store_contact_fn *fn,
                void *arg)
{
	return contact_walk(SQ(s), ST_CONTACT_EACH_LIST, ST_CONTACT_EACH_ALL,
	                    list_id, 0, fn, arg);
}

/* op: contact_first — in the order of the primary keys (contacts.id,
 * list_members (list_id, contact_id)): the first n rows read, nothing
 * sorted. */
static int
sq_contact_first(struct store *s, int64_t list_id, size_t n,
                 store_contact_fn *fn, void *arg)
{
	return contact_walk(SQ(s), ST_CONTACT_FIRST_LIST, ST_CONTACT_FIRST_ALL,
	                    list_id, n, fn, arg);
}

/* op: contact_count */
static int
sq_contact_count(struct store *s, int64_t list_id, unsigned long *n)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, list_id > 0 ? ST_COUNT_LIST : ST_COUNT_ALL);
	int err = 0;

	if (st == NULL)
		return db_fail(q, "count");
	if (list_id > 0)
		sqlite3_bind_int64(st, 1, list_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = (unsigned long)sqlite3_column_int64(st, 0);
	else
		err = db_fail(q, "count");
	sqlite3_reset(st);
	return err;
}

/* op: member_remove */
static int
sq_member_remove(struct store *s, int64_t list_id, const char *address)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st =
	    stmt(q, list_id > 0 ? ST_MEMBER_DELETE : ST_CONTACT_DELETE);
	int err;

	if (st == NULL)
		return db_fail(q, "remove");
	if (list_id > 0) {
		sqlite3_bind_int64(st, 1, list_id);
		bind_text(st, 2, address);
	} else
		bind_text(st, 1, address);
	if (sqlite3_step(st) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(q->db) ==
		    SQLITE_CONSTRAINT_FOREIGNKEY)
			err = store_fail(
			    s, MC_EINVAL,
			    "%s has ledger rows and cannot be deleted; "
			    "suppress it instead",
			    address);
		else
			err = db_fail(q, "remove");
		sqlite3_reset(st);
		return err;
	}
	sqlite3_reset(st);
	if (sqlite3_changes(q->db) == 0)
		return store_fail(s, MC_ENOTFOUND, "%s is not %s", address,
		                  list_id > 0 ? "on that list" : "a contact");
	return 0;
}

/* op: supp_add */
static int
sq_supp_add(struct store *s, const char *entry, enum store_supp_reason reason,
            const char *source, time_t now, int *added)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_SUPP_INSERT);
	int err;

	if (store_supp_reason_name(reason) == NULL)
		return store_fail(s, MC_EINVAL, "bad suppression reason %d",
		                  (int)reason);
	if (entry == NULL || *entry == '\0' ||
	    strlen(entry) > STORE_ADDRESS_MAX + 1)
		return store_fail(s, MC_EINVAL, "bad suppression entry");
	if (st == NULL)
		return db_fail(q, "suppress");
	bind_text(st, 1, entry);
	bind_text(st, 2, store_supp_reason_name(reason));
	bind_text(st, 3, source != NULL ? source : "");
	sqlite3_bind_int64(st, 4, now);
	if ((err = exec_done(q, st, "suppress")) < 0)
		return err;
	*added = sqlite3_changes(q->db) > 0;
	return 0;
}

/* op: supp_remove */
static int
sq_supp_remove(struct store *s, const char *entry)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_SUPP_DELETE);
	int err;

	if (st == NULL)
		return db_fail(q, "unsuppress");
	bind_text(st, 1, entry);
	if ((err = exec_done(q, st, "unsuppress")) < 0)
		return err;
	if (sqlite3_changes(q->db) == 0)
		return store_fail(s, MC_ENOTFOUND, "%s is not suppressed",
		                  entry);
	return 0;
}

/* Fill a suppression from a row (entry, reason, source, created_at). */
static void
supp_from_row(sqlite3_stmt *st, struct store_suppression *out)
{
	int r =
	    store_supp_reason_parse((const char *)sqlite3_column_text(st, 1));

	out->entry = (const char *)sqlite3_column_text(st, 0);
	out->reason = r < 0 ? SUPP_MANUAL : (enum store_supp_reason)r;
	out->source = (const char *)sqlite3_column_text(st, 2);
	out->created = (time_t)sqlite3_column_int64(st, 3);
}

/* op: supp_check */
static int
sq_supp_check(struct store *s, const char *address,
              struct store_suppression *hit)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_SUPP_CHECK);
	const char *at = strrchr(address, '@');
	char erased[STORE_ERASE_ENTRY_LEN + 1];
	int rc;

	if (st == NULL)
		return db_fail(q, "suppression check");
	store_erase_entry(q->salt, address, erased);
	bind_text(st, 1, address);
	bind_text(st, 2, at != NULL ? at : address);
	bind_text(st, 3, erased);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		supp_from_row(st, hit);
		mc_strlcpy(q->hit_entry, hit->entry, sizeof(q->hit_entry));
		mc_strlcpy(q->hit_source, hit->source, sizeof(q->hit_source));
		hit->entry = q->hit_entry;
		hit->source = q->hit_source;
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(q, "suppression check");
	return MC_ENOTFOUND;
}

/* op: supp_check_many — the entries of every address (itself, its erase
 * entry, its @domain: supp_check's order of preference) as one JSON array,
 * looked up in one statement instead of one statement each. */
static int
sq_supp_check_many(struct store *s, const char *const *addrs, size_t n,
                   store_supp_hit_fn *fn, void *arg)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st;
	char erased[STORE_ERASE_ENTRY_LEN + 1];
	struct buf b;
	size_t last = SIZE_MAX;
	int rc, stop = 0, hashes = 0;

	if (n == 0)
		return 0;
	/* the erased addresses' hashes only when there are any: hashing
	 * every leased address cost ~1 % of a run's loop */
	if ((rc = exists_query(q, ST_SUPP_ANY_ERASED, "suppression check",
	                       &hashes)) < 0)
		return rc;
	buf_init(&b);
	buf_putc(&b, '[');
	for (size_t i = 0; i < n; i++) {
		const char *at = strrchr(addrs[i], '@');
		const char *dom = at != NULL ? at : addrs[i];

		if (hashes)
			store_erase_entry(q->salt, addrs[i], erased);
		if (i)
			buf_putc(&b, ',');
		store_json_string(&b, addrs[i], strlen(addrs[i]));
		buf_putc(&b, ',');
		/* null matches no entry, where "" would match a '' one */
		if (hashes)
			store_json_string(&b, erased, strlen(erased));
		else
			buf_puts(&b, "null");
		buf_putc(&b, ',');
		store_json_string(&b, dom, strlen(dom));
	}
	buf_putc(&b, ']');
	if ((st = stmt(q, ST_SUPP_MANY)) == NULL) {
		buf_fini(&b);
		return db_fail(q, "suppression check");
	}
	sqlite3_bind_text(st, 1, (const char *)buf_data(&b), (int)buf_len(&b),
	                  SQLITE_STATIC);
	while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t i = (size_t)sqlite3_column_int64(st, 0) / 3;
		struct store_suppression hit;

		if (i == last || i >= n)
			continue; /* a less preferred entry of the same one */
		last = i;
		hit.entry = (const char *)sqlite3_column_text(st, 1);
		hit.source = (const char *)sqlite3_column_text(st, 3);
		rc = store_supp_reason_parse(
		    (const char *)sqlite3_column_text(st, 2));
		hit.reason = rc < 0 ? SUPP_MANUAL : (enum store_supp_reason)rc;
		hit.created = (time_t)sqlite3_column_int64(st, 4);
		rc = SQLITE_ROW;
		stop = fn(arg, i, &hit);
	}
	if (stop == 0 && rc != SQLITE_DONE)
		stop = db_fail(q, "suppression check");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	buf_fini(&b);
	return stop;
}

/* op: supp_version (0 in a store kept below schema 20) */
static int
sq_supp_version(struct store *s, int64_t *version)
{
	struct store_sqlite *q = SQ(s);

	*version = 0;
	if (!q->supp_versioned)
		return 0;
	return int64_query(q, ST_SUPP_VERSION, "suppression version", version);
}

/* op: supp_each */
static int
sq_supp_each(struct store *s, store_supp_fn *fn, void *arg)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_SUPP_EACH);
	int rc, stop = 0;

	if (st == NULL)
		return db_fail(q, "suppressions");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_suppression e;

		supp_from_row(st, &e);
		if ((stop = fn(arg, &e)) != 0)
			break;
	}
	if (stop == 0 && rc != SQLITE_DONE)
		stop = db_fail(q, "suppressions");
	sqlite3_reset(st);
	return stop;
}

/* op: campaign_find */
static int
sq_campaign_find(struct store *s, const char *name, int64_t *id)
{
	return find_id(SQ(s), ST_CAMPAIGN_FIND, "campaign", name, id);
}

/* The campaign's own row (inside the caller's transaction): *id, or
 * MC_EINVAL when the name is taken, or the database's error. */
static int
campaign_insert(struct store_sqlite *q, const char *name, int64_t list_id,
                time_t now, int64_t *id)
{
	sqlite3_stmt *st = stmt(q, ST_CAMPAIGN_INSERT);
	int err = 0;

	if (st == NULL)
		return db_fail(q, "campaign");
	bind_text(st, 1, name);
	bind_id(st, 2, list_id);
	sqlite3_bind_int64(st, 3, now);
	if (sqlite3_step(st) != SQLITE_ROW)
		err =
		    sqlite3_extended_errcode(q->db) == SQLITE_CONSTRAINT_UNIQUE
		        ? store_fail(&q->base, MC_EINVAL,
		                     "a campaign named '%s' exists", name)
		        : db_fail(q, "campaign");
	else
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return err;
}

/* op: campaign_create */
static int
sq_campaign_create(struct store *s, const char *name, int64_t list_id,
                   time_t now, int64_t *id)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st;
	int own, err;

	if (name == NULL || *name == '\0' || strlen(name) > STORE_NAME_MAX)
		return store_fail(s, MC_EINVAL,
		                  "a campaign name is 1 to %d bytes",
		                  STORE_NAME_MAX);
	if ((err = txn_enter(q, &own)) < 0)
		return err;
	if ((err = campaign_insert(q, name, list_id, now, id)) < 0)
		goto done;
	if ((st = stmt(q, ST_CAMPAIGN_FILL)) == NULL) {
		err = db_fail(q, "campaign rows");
		goto done;
	}
	sqlite3_bind_int64(st, 1, *id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, list_id);
	err = exec_done(q, st, "campaign rows");
done:
	return txn_leave(q, own, err);
}

/* The ids of rows[0..n) as a JSON array, for "id IN (SELECT value FROM
 * json_each(?))": one statement for a batch instead of one per row. */
static void
ids_json(struct buf *b, const struct store_delivery *rows, size_t n)
{
	buf_putc(b, '[');
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s%lld", i ? "," : "", (long long)rows[i].id);
	buf_putc(b, ']');
}

/* One pass of sq_lease: up to max - *n due rows into out + *n, leased;
 * pending rows after the key (na, id) when from.  The key of the last
 * pending row taken goes to *na, *id. */
static int
lease_pass(struct store_sqlite *q, bool from, int64_t campaign_id,
           const char *owner, time_t now, int lease_secs,
           struct store_delivery *out, size_t max, size_t *n, int64_t *na,
           int64_t *id)
{
	size_t first = *n;
	sqlite3_stmt *st;
	int err = 0, rc = SQLITE_DONE;

	if ((st = stmt(q, from ? ST_LEASE_SELECT_FROM : ST_LEASE_SELECT)) ==
	    NULL)
		return db_fail(q, "lease");
	sqlite3_bind_int64(st, 1, campaign_id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)(max - *n));
	if (from) {
		sqlite3_bind_int64(st, 4, q->base.lease_na);
		sqlite3_bind_int64(st, 5, q->base.lease_id);
	}
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_delivery *d = &out[*n];
		int state = store_dlv_state_parse(
		    (const char *)sqlite3_column_text(st, 4));

		memset(d, 0, sizeof(*d));
		d->id = sqlite3_column_int64(st, 0);
		d->campaign_id = campaign_id;
		d->contact_id = sqlite3_column_int64(st, 1);
		mc_strlcpy(d->address, (const char *)sqlite3_column_text(st, 2),
		           sizeof(d->address));
		d->attrs = xstrdup((const char *)sqlite3_column_text(st, 3));
		d->state =
		    state < 0 ? DLV_PENDING : (enum store_dlv_state)state;
		d->attempts = sqlite3_column_int(st, 5);
		d->lease_expires = now + lease_secs;
		if (d->state == DLV_PENDING) {
			*na = sqlite3_column_int64(st, 6);
			*id = d->id;
		}
		(*n)++;
	}
	if (*n < max && rc != SQLITE_DONE)
		err = db_fail(q, "lease");
	sqlite3_reset(st);
	/* the rows' leases in one statement (ids as a JSON array) */
	if (err == 0 && *n > first) {
		struct buf b;

		buf_init(&b);
		ids_json(&b, out + first, *n - first);
		if ((st = stmt(q, ST_LEASE_SET_MANY)) == NULL) {
			err = db_fail(q, "lease");
		} else {
			sqlite3_bind_text(st, 1, (const char *)buf_data(&b),
			                  (int)buf_len(&b), SQLITE_STATIC);
			bind_text(st, 2, owner);
			sqlite3_bind_int64(st, 3, now + lease_secs);
			err = exec_done(q, st, "lease");
			sqlite3_clear_bindings(st);
		}
		buf_fini(&b);
	}
	return err;
}

/* op: lease — after the last key (store_lease_from()), then from the
 * start when that is short. */
static int
sq_lease(struct store *s, int64_t campaign_id, const char *owner, time_t now,
         int lease_secs, struct store_delivery *out, size_t max, size_t *n)
{
	struct store_sqlite *q = SQ(s);
	bool from = store_lease_from(s, campaign_id);
	int64_t na = 0, id = 0;
	int own, err;

	*n = 0;
	if ((err = txn_enter(q, &own)) < 0)
		return err;
	err = lease_pass(q, from, campaign_id, owner, now, lease_secs, out, max,
	                 n, &na, &id);
	if (err == 0 && from && *n < max)
		err = lease_pass(q, false, campaign_id, owner, now, lease_secs,
		                 out, max, n, &na, &id);
	err = txn_leave(q, own, err);
	if (err < 0) {
		store_deliveries_fini(out, *n);
		*n = 0;
	}
	store_lease_went(s, campaign_id, err == 0 && *n == max, na, id);
	return err;
}

/* op: mark_inflight */
static int
sq_mark_inflight(struct store *s, const int64_t *ids, size_t n,
                 const char *owner, time_t now, size_t *moved)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st;
	int own, err;

	*moved = 0;
	if ((err = txn_enter(q, &own)) < 0)
		return err;
	if (n > 1) {
		/* one statement for the batch (ids as a JSON array) */
		struct buf b;

		buf_init(&b);
		buf_putc(&b, '[');
		for (size_t i = 0; i < n; i++)
			buf_printf(&b, "%s%lld", i ? "," : "",
			           (long long)ids[i]);
		buf_putc(&b, ']');
		if ((st = stmt(q, ST_INFLIGHT_MANY)) == NULL) {
			err = db_fail(q, "inflight");
		} else {
			sqlite3_bind_text(st, 1, (const char *)buf_data(&b),
			                  (int)buf_len(&b), SQLITE_STATIC);
			bind_text(st, 2, owner);
			sqlite3_bind_int64(st, 3, now);
			if ((err = exec_done(q, st, "inflight")) == 0)
				*moved = (size_t)sqlite3_changes(q->db);
			sqlite3_clear_bindings(st);
		}
		buf_fini(&b);
		n = 0;
	}
	for (size_t i = 0; i < n && err == 0; i++) {
		if ((st = stmt(q, ST_INFLIGHT)) == NULL) {
			err = db_fail(q, "inflight");
			break;
		}
		sqlite3_bind_int64(st, 1, ids[i]);
		bind_text(st, 2, owner);
		sqlite3_bind_int64(st, 3, now);
		if ((err = exec_done(q, st, "inflight")) == 0)
			*moved += (size_t)sqlite3_changes(q->db);
	}
	return txn_leave(q, own, err);
}

/* op: record */
static int
sq_record(struct store *s, const struct store_outcome *o, size_t n, time_t now)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st;
	int own, err;

	for (size_t i = 0; i < n; i++)
		if (store_dlv_state_name(o[i].state) == NULL ||
		    o[i].state == DLV_PENDING || o[i].state == DLV_INFLIGHT)
			return store_fail(s, MC_EINVAL,
			                  "outcome %zu: state must be a result",
			                  i);
	if ((err = txn_enter(q, &own)) < 0)
		return err;
	for (size_t i = 0; i < n && err == 0; i++) {
		if ((st = stmt(q, ST_RECORD)) == NULL) {
			err = db_fail(q, "record");
			break;
		}
		sqlite3_bind_int64(st, 1, o[i].id);
		bind_text(st, 2, store_dlv_state_name(o[i].state));
		if (o[i].reply_code > 0)
			sqlite3_bind_int(st, 3, o[i].reply_code);
		bind_text(st, 4, o[i].enhanced);
		bind_text(st, 5, o[i].text);
		bind_text(st, 6, o[i].relay);
		bind_text(st, 7, o[i].queue_id);
		sqlite3_bind_int64(st, 8, o[i].next_attempt);
		sqlite3_bind_int64(st, 9, now);
		bind_text(st, 10, o[i].owner);
		if ((err = exec_done(q, st, "record")) == 0 &&
		    sqlite3_changes(q->db) == 0 && o[i].owner == NULL)
			err = store_fail(s, MC_ENOTFOUND,
			                 "no ledger row with id %lld",
			                 (long long)o[i].id);
	}
	return txn_leave(q, own, err);
}

/* op: requeue_stale */
static int
sq_requeue_stale(struct store *s, int64_t campaign_id, time_t now, size_t *n)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st;
	int own, err;

	*n = 0;
	if ((err = txn_enter(q, &own)) < 0)
		return err;
	if ((st = stmt(q, ST_STALE_EVENTS)) == NULL) {
		err = db_fail(q, "requeue");
		goto done;
	}
	sqlite3_bind_int64(st, 1, campaign_id);
	sqlite3_bind_int64(st, 2, now);
	if ((err = exec_done(q, st, "requeue")) < 0)
		goto done;
	if ((st = stmt(q, ST_STALE_REQUEUE)) == NULL) {
		err = db_fail(q, "requeue");
		goto done;
	}
	sqlite3_bind_int64(st, 1, campaign_id);
	sqlite3_bind_int64(st, 2, now);
	if ((err = exec_done(q, st, "requeue")) == 0)
		*n = (size_t)sqlite3_changes(q->db);
done:
	return txn_leave(q, own, err);
}

/* op: count_states */
static int
sq_count_states(struct store *s, int64_t campaign_id,
                unsigned long counts[DLV__COUNT])
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_COUNT_STATES);
	int rc;

	memset(counts, 0, sizeof(unsigned long) * DLV__COUNT);
	if (st == NULL)
		return db_fail(q, "count");
	sqlite3_bind_int64(st, 1, campaign_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int state = store_dlv_state_parse(
		    (const char *)sqlite3_column_text(st, 0));

		if (state >= 0)
			counts[state] =
			    (unsigned long)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(q, "count");
}

/* op: bounce_add */
static int
sq_bounce_add(struct store *s, const struct store_bounce *b)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_BOUNCE_INSERT);

	if (st == NULL)
		return db_fail(q, "bounce");
	bind_id(st, 1, b->campaign_id);
	bind_id(st, 2, b->contact_id);
	bind_text(st, 3, b->address);
	bind_text(st, 4, b->kind);
	bind_text(st, 5, b->status);
	bind_text(st, 6, b->diagnostic);
	sqlite3_bind_int64(st, 7, b->received);
	return exec_done(q, st, "bounce");
}

/* op: event_add */
static int
sq_event_add(struct store *s, int64_t campaign_id, int64_t contact_id,
             const char *kind, const char *detail, time_t now)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_EVENT_INSERT);

	if (st == NULL)
		return db_fail(q, "event");
	sqlite3_bind_int64(st, 1, now);
	bind_id(st, 2, campaign_id);
	bind_id(st, 3, contact_id);
	bind_text(st, 4, kind);
	bind_text(st, 5, detail);
	return exec_done(q, st, "event");
}

/* One integer of a one-row query (*out -1 when there is no row). */
static int
query_id(struct store_sqlite *q, sqlite3_stmt *st, int64_t *out)
{
	int rc = sqlite3_step(st);

	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(q, "query");
}

/* op: contact_set_status */
static int
sq_contact_set_status(struct store *s, int64_t id,
                      enum store_contact_status status, time_t now,
                      int *changed)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_CONTACT_STATUS);
	int err;

	*changed = 0;
	if (st == NULL)
		return db_fail(q, "contact status");
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, store_contact_status_name(status));
	sqlite3_bind_int64(st, 3, now);
	if ((err = exec_done(q, st, "contact status")) < 0)
		return err;
	*changed = sqlite3_changes(q->db) > 0;
	return 0;
}

/* op: contact_lookup */
static int
sq_contact_lookup(struct store *s, int64_t id, const char *address,
                  int64_t *out)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st;
	int64_t v = -1;
	int err;

	*out = 0;
	if (id > 0) {
		if ((st = stmt(q, ST_CONTACT_EXISTS)) == NULL)
			return db_fail(q, "contact");
		sqlite3_bind_int64(st, 1, id);
		if ((err = query_id(q, st, &v)) < 0)
			return err;
	}
	if (v <= 0 && address != NULL) {
		if ((st = stmt(q, ST_CONTACT_GET)) == NULL)
			return db_fail(q, "contact");
		bind_text(st, 1, address);
		if ((err = query_id(q, st, &v)) < 0)
			return err;
	}
	if (v <= 0)
		return MC_ENOTFOUND;
	*out = v;
	return 0;
}

/* op: bounce_record */
static int
sq_bounce_record(struct store *s, const struct store_bounce_row *b, time_t now)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_BOUNCE_SRC_INSERT);

	if (st == NULL)
		return db_fail(q, "bounce");
	bind_id(st, 1, b->campaign_id);
	bind_id(st, 2, b->contact_id);
	bind_text(st, 3, b->address);
	bind_text(st, 4, store_bounce_kind_name(b->kind));
	bind_text(st, 5, b->status);
	bind_text(st, 6, b->diagnostic);
	sqlite3_bind_int64(st, 7, now);
	bind_text(st, 8, b->source);
	return exec_done(q, st, "bounce");
}

/* op: bounce_count */
static int
sq_bounce_count(struct store *s, const char *address,
                enum store_bounce_kind kind, time_t since, unsigned long *n)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_BOUNCE_COUNT);
	int64_t v;
	int err;

	*n = 0;
	if (st == NULL)
		return db_fail(q, "bounce count");
	bind_text(st, 1, address);
	bind_text(st, 2, store_bounce_kind_name(kind));
	sqlite3_bind_int64(st, 3, since);
	if ((err = query_id(q, st, &v)) < 0)
		return err;
	*n = v > 0 ? (unsigned long)v : 0;
	return 0;
}

/* op: delivery_bounced */
static int
sq_delivery_bounced(struct store *s, int64_t campaign_id, int64_t contact_id,
                    time_t now, int *changed)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_DLV_BOUNCED);
	int err;

	*changed = 0;
	if (st == NULL)
		return db_fail(q, "delivery");
	sqlite3_bind_int64(st, 1, campaign_id);
	sqlite3_bind_int64(st, 2, contact_id);
	sqlite3_bind_int64(st, 3, now);
	if ((err = exec_done(q, st, "delivery")) < 0)
		return err;
	*changed = sqlite3_changes(q->db) > 0;
	return 0;
}

/* op: delivery_sent */
static int
sq_delivery_sent(struct store *s, int64_t campaign_id, int64_t contact_id,
                 int64_t *campaign_out, char *address, size_t addrsz)
{
	struct store_sqlite *q = SQ(s);
	/* One indexed lookup per campaign: (campaign_id, contact_id) is the
	 * only index of deliveries that names a contact. */
	sqlite3_stmt *st =
	    stmt(q, campaign_id > 0 ? ST_DLV_SENT : ST_DLV_SENT_ANY);
	const unsigned char *a;
	int rc;

	*campaign_out = 0;
	address[0] = '\0';
	if (st == NULL)
		return db_fail(q, "delivery");
	sqlite3_bind_int64(st, 1, campaign_id);
	sqlite3_bind_int64(st, 2, contact_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*campaign_out = sqlite3_column_int64(st, 0);
		a = sqlite3_column_text(st, 1);
		snprintf(address, addrsz, "%s", a ? (const char *)a : "");
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return MC_ENOTFOUND;
	return rc == SQLITE_ROW ? 0 : db_fail(q, "delivery");
}

/* op: mailbox_seen_get */
static int
sq_mailbox_seen_get(struct store *s, const char *mailbox, const char *uid,
                    int *state)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_SEEN_GET);
	int rc;

	if (st == NULL)
		return db_fail(q, "mailbox memory");
	bind_text(st, 1, mailbox);
	bind_text(st, 2, uid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*state = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return MC_ENOTFOUND;
	return rc == SQLITE_ROW ? 0 : db_fail(q, "mailbox memory");
}

/* op: mailbox_seen_put */
static int
sq_mailbox_seen_put(struct store *s, const char *mailbox, const char *uid,
                    int state, const char *what, time_t now)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_SEEN_PUT);

	if (st == NULL)
		return db_fail(q, "mailbox memory");
	bind_text(st, 1, mailbox);
	bind_text(st, 2, uid);
	sqlite3_bind_int(st, 3, state);
	bind_text(st, 4, what);
	sqlite3_bind_int64(st, 5, now);
	return exec_done(q, st, "mailbox memory");
}

/* op: signup_mark */
static int
sq_signup_mark(struct store *s, const char *address, int64_t list_id,
               const char *ip, time_t now, long window, int *sent)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_SIGNUP_MARK);
	int err;

	if (st == NULL)
		return db_fail(q, "signup");
	bind_text(st, 1, address);
	sqlite3_bind_int64(st, 2, list_id);
	bind_text(st, 3, ip);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, now - window);
	if ((err = exec_done(q, st, "signup")) < 0)
		return err;
	*sent = sqlite3_changes(q->db) > 0;
	return 0;
}

/* op: signup_contact */
static int
sq_signup_contact(struct store *s, int64_t id, char *address, size_t addrsz,
                  char *status, size_t statsz)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_SIGNUP_CONTACT);
	int rc;

	if (st == NULL)
		return db_fail(q, "contact");
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(st, 0);
		const char *t = (const char *)sqlite3_column_text(st, 1);

		mc_strlcpy(address, a ? a : "", addrsz);
		mc_strlcpy(status, t ? t : "", statsz);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW    ? 0
	       : rc == SQLITE_DONE ? MC_ENOTFOUND
	                           : db_fail(q, "contact");
}

/* op: check — PRAGMA integrity_check and foreign_key_check. */
static int
sq_check(struct store *s, char *out, size_t outsz)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st;
	size_t o = 0;
	int rc;

	out[0] = '\0';
	if (sqlite3_prepare_v2(q->db, "PRAGMA integrity_check", -1, &st,
	                       NULL) != SQLITE_OK)
		return db_fail(q, "integrity_check");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && o + 1 < outsz)
		o += (size_t)snprintf(out + o, outsz - o, "%s%s", o ? "; " : "",
		                      (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(q, "integrity_check");
	return strcmp(out, "ok") == 0 ? 0 : MC_EDATA;
}

/* op: close */
static void
sq_close(struct store *s)
{
	struct store_sqlite *q = SQ(s);

	if (q->in_txn)
		exec_simple(q, ST_ROLLBACK, "rollback");
	ckpt_stop(q);
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(q->st[i]);
	/* Fold the WAL back so the file is complete on its own. */
	sqlite3_wal_checkpoint_v2(q->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
	                          NULL);
	sqlite3_close(q->db);
	free(q);
}

/* op: campaign_get */
static int
sq_campaign_get(struct store *s, int64_t id, struct store_campaign *out)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_CAMPAIGN_GET);
	int rc;

	if (st == NULL)
		return db_fail(q, "campaign");
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE
		           ? store_fail(s, MC_ENOTFOUND, "no campaign %lld",
		                        (long long)id)
		           : db_fail(q, "campaign");
	}
	memset(out, 0, sizeof(*out));
	out->id = id;
	mc_strlcpy(out->name, (const char *)sqlite3_column_text(st, 0),
	           sizeof(out->name));
	out->list_id = sqlite3_column_int64(st, 1);
	mc_strlcpy(out->status, (const char *)sqlite3_column_text(st, 2),
	           sizeof(out->status));
	out->created = (time_t)sqlite3_column_int64(st, 3);
	out->scheduled = (time_t)sqlite3_column_int64(st, 4);
	sqlite3_reset(st);
	return 0;
}

static const char *col_text(sqlite3_stmt *st, int i);

/* op: track_link_put */
static int
sq_track_link_put(struct store *s, int64_t campaign_id, int idx,
                  const char *url)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_TRACK_LINK_PUT);

	if (st == NULL)
		return db_fail(q, "tracked link");
	sqlite3_bind_int64(st, 1, campaign_id);
	sqlite3_bind_int(st, 2, idx);
	bind_text(st, 3, url);
	return exec_done(q, st, "tracked link");
}

/* op: track_link_each */
static int
sq_track_link_each(struct store *s, int64_t campaign_id,
                   store_track_link_fn *fn, void *arg)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_TRACK_LINK_EACH);
	int rc, stop = 0;

	if (st == NULL)
		return db_fail(q, "tracked links");
	sqlite3_bind_int64(st, 1, campaign_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((stop = fn(arg, sqlite3_column_int(st, 0), col_text(st, 1),
		               sqlite3_column_int64(st, 2),
		               sqlite3_column_int64(st, 3))) != 0)
			break;
	if (stop == 0 && rc != SQLITE_DONE)
		stop = db_fail(q, "tracked links");
	sqlite3_reset(st);
	return stop;
}

/* op: track_hit */
static int
sq_track_hit(struct store *s, int64_t campaign_id, int idx, int64_t contact_id,
             time_t now)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_TRACK_HIT);

	if (st == NULL)
		return db_fail(q, "click");
	sqlite3_bind_int64(st, 1, campaign_id);
	sqlite3_bind_int(st, 2, idx);
	sqlite3_bind_int64(st, 3, contact_id);
	sqlite3_bind_int64(st, 4, now);
	return exec_done(q, st, "click");
}

/* op: campaign_each */
static int
sq_campaign_each(struct store *s, const char *status, store_campaign_fn *fn,
                 void *arg)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_CAMPAIGN_EACH);
	int rc, stop = 0;

	if (st == NULL)
		return db_fail(q, "campaigns");
	bind_text(st, 1, status);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_campaign c;

		memset(&c, 0, sizeof(c));
		mc_strlcpy(c.name, col_text(st, 0), sizeof(c.name));
		c.list_id = sqlite3_column_int64(st, 1);
		mc_strlcpy(c.status, col_text(st, 2), sizeof(c.status));
		c.created = (time_t)sqlite3_column_int64(st, 3);
		c.scheduled = (time_t)sqlite3_column_int64(st, 4);
		c.id = sqlite3_column_int64(st, 5);
		if ((stop = fn(arg, &c)) != 0)
			break;
	}
	if (stop == 0 && rc != SQLITE_DONE)
		stop = db_fail(q, "campaigns");
	sqlite3_reset(st);
	return stop;
}

/* op: campaign_delete: one transaction of plain statements (a rare
 * operation, not worth prepared ones). */
static int
sq_campaign_delete(struct store *s, int64_t id)
{
	static const char *const sql[] = {
	    "UPDATE bounces SET campaign_id = NULL WHERE campaign_id = ?1",
	    "DELETE FROM events WHERE campaign_id = ?1",
	    "DELETE FROM holders WHERE campaign_id = ?1",
	    "DELETE FROM deliveries WHERE campaign_id = ?1",
	    "DELETE FROM campaign_files WHERE campaign_id = ?1",
	    "DELETE FROM campaigns WHERE id = ?1",
	};
	struct store_sqlite *q = SQ(s);
	int own, err = 0;

	if ((err = txn_enter(q, &own)) < 0)
		return err;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]) && err == 0; i++) {
		sqlite3_stmt *st;

		if (sqlite3_prepare_v2(q->db, sql[i], -1, &st, NULL) !=
		    SQLITE_OK) {
			err = db_fail(q, "campaign delete");
			break;
		}
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) != SQLITE_DONE)
			err = db_fail(q, "campaign delete");
		sqlite3_finalize(st);
	}
	if (err == 0 && sqlite3_changes(q->db) == 0)
		err = store_fail(s, MC_ENOTFOUND, "no campaign %lld",
		                 (long long)id);
	return txn_leave(q, own, err);
}

/* op: campaign_file_put */
static int
sq_campaign_file_put(struct store *s, int64_t id,
                     const struct store_campaign_file *f)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_CAMPAIGN_FILE_PUT);

	if (st == NULL)
		return db_fail(q, "campaign file");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, f->seq);
	bind_text(st, 3, f->name);
	sqlite3_bind_blob64(st, 4, f->len ? f->data : "", f->len,
	                    SQLITE_STATIC);
	return exec_done(q, st, "campaign file");
}

/* op: campaign_file_each */
static int
sq_campaign_file_each(struct store *s, int64_t id, store_campaign_file_fn *fn,
                      void *arg)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_CAMPAIGN_FILE_EACH);
	int rc, stop = 0;

	if (st == NULL)
		return db_fail(q, "campaign files");
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_campaign_file f;

		f.seq = sqlite3_column_int(st, 0);
		f.name = col_text(st, 1);
		f.data = sqlite3_column_blob(st, 2);
		f.len = (size_t)sqlite3_column_bytes(st, 2);
		if ((stop = fn(arg, &f)) != 0)
			break;
	}
	if (stop == 0 && rc != SQLITE_DONE)
		stop = db_fail(q, "campaign files");
	sqlite3_reset(st);
	return stop;
}

/* op: campaign_schedule */
static int
sq_campaign_schedule(struct store *s, int64_t id, time_t at)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_CAMPAIGN_SCHEDULE);
	int err;

	if (st == NULL)
		return db_fail(q, "campaign schedule");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, at);
	if ((err = exec_done(q, st, "campaign schedule")) == 0 &&
	    sqlite3_changes(q->db) == 0)
		err = store_fail(s, MC_ENOTFOUND, "no campaign %lld",
		                 (long long)id);
	return err;
}

/* op: campaign_claim_due */
static int
sq_campaign_claim_due(struct store *s, time_t now, int64_t *id)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_CAMPAIGN_CLAIM);
	bool claimed = false;
	int rc;

	if (st == NULL)
		return db_fail(q, "campaign claim");
	sqlite3_bind_int64(st, 1, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		claimed = true;
	}
	/* step to the end so the UPDATE completes before the reset */
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(q, "campaign claim");
	return claimed ? 0 : store_fail(s, MC_ENOTFOUND, "no campaign is due");
}

/* op: user_put */
static int
sq_user_put(struct store *s, const struct store_user *u)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_USER_PUT);

	if (st == NULL)
		return db_fail(q, "user");
	bind_text(st, 1, u->name);
	bind_text(st, 2, u->role);
	bind_text(st, 3, u->hash);
	sqlite3_bind_int64(st, 4, u->created);
	return exec_done(q, st, "user");
}

/* op: user_get */
static int
sq_user_get(struct store *s, const char *name, struct store_user *out)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_USER_GET);
	int rc;

	if (st == NULL)
		return db_fail(q, "user");
	memset(out, 0, sizeof(*out));
	bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		mc_strlcpy(out->name, col_text(st, 0), sizeof(out->name));
		mc_strlcpy(out->role, col_text(st, 1), sizeof(out->role));
		mc_strlcpy(out->hash, col_text(st, 2), sizeof(out->hash));
		out->failures = (unsigned)sqlite3_column_int64(st, 3);
		out->locked_until = (time_t)sqlite3_column_int64(st, 4);
		out->created = (time_t)sqlite3_column_int64(st, 5);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return store_fail(s, MC_ENOTFOUND, "no user %s", name);
	return rc == SQLITE_ROW ? 0 : db_fail(q, "user");
}

/* op: user_mark */
static int
sq_user_mark(struct store *s, const char *name, unsigned failures,
             time_t locked_until)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_USER_MARK);
	int err;

	if (st == NULL)
		return db_fail(q, "user");
	bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, failures);
	sqlite3_bind_int64(st, 3, locked_until);
	if ((err = exec_done(q, st, "user")) == 0 &&
	    sqlite3_changes(q->db) == 0)
		err = store_fail(s, MC_ENOTFOUND, "no user %s", name);
	return err;
}

/* op: webhook_arm */
static int
sq_webhook_arm(struct store *s, bool on)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_WEBHOOK_ARMED);
	char *msg = NULL;
	int rc;

	/* DDL only when it changes something: every serve and worker start
	 * asks, and a schema change makes every other connection prepare
	 * its statements again */
	if (st == NULL)
		return db_fail(q, "webhook triggers");
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = db_fail(q, "webhook triggers");
		sqlite3_reset(st);
		return rc;
	}
	rc = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (rc == (on ? WH_TRIGGERS : 0))
		return 0;
	if (sqlite3_exec(q->db, on ? wh_arm_sql : wh_disarm_sql, NULL, NULL,
	                 &msg) != SQLITE_OK) {
		int err = store_fail(s, MC_EIO, "sqlite: webhook triggers: %s",
		                     msg ? msg : sqlite3_errmsg(q->db));
		sqlite3_free(msg);
		return err;
	}
	return 0;
}

/* The webhook row st is on. */
static void
webhook_row(sqlite3_stmt *st, struct store_webhook *w)
{
	memset(w, 0, sizeof(*w));
	w->id = sqlite3_column_int64(st, 0);
	w->event = col_text(st, 1);
	w->at = (time_t)sqlite3_column_int64(st, 2);
	w->payload = col_text(st, 3);
	w->state = col_text(st, 4);
	w->attempts = (unsigned)sqlite3_column_int64(st, 5);
	w->next_attempt = (time_t)sqlite3_column_int64(st, 6);
	w->done_to = col_text(st, 7);
	w->error = (const char *)sqlite3_column_text(st, 8);
	w->since = (time_t)sqlite3_column_int64(st, 9);
}

/* Step st to its end, each row to fn (a stop only stops the calls: the
 * statement still runs to its end, so a lease is whole). */
static int
webhook_rows(struct store_sqlite *q, sqlite3_stmt *st, store_webhook_fn *fn,
             void *arg, const char *op)
{
	struct store_webhook w;
	int rc, stop = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (stop == 0) {
			webhook_row(st, &w);
			stop = fn(arg, &w);
		}
	if (rc != SQLITE_DONE) {
		rc = db_fail(q, op);
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	return stop;
}

/* op: webhook_lease */
static int
sq_webhook_lease(struct store *s, const char *owner, time_t now,
                 time_t lease_until, unsigned max, store_webhook_fn *fn,
                 void *arg)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_WEBHOOK_LEASE);

	if (st == NULL)
		return db_fail(q, "webhook lease");
	bind_text(st, 1, owner);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, lease_until);
	sqlite3_bind_int64(st, 4, max);
	return webhook_rows(q, st, fn, arg, "webhook lease");
}

/* op: webhook_settle */
static int
sq_webhook_settle(struct store *s, int64_t id, const char *owner,
                  const char *state, time_t next_attempt, const char *done_to,
                  const char *error)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_WEBHOOK_SETTLE);
	int err;

	if (st == NULL)
		return db_fail(q, "webhook settle");
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, owner);
	bind_text(st, 3, state);
	sqlite3_bind_int64(st, 4, next_attempt);
	bind_text(st, 5, done_to);
	bind_text(st, 6, error);
	if ((err = exec_done(q, st, "webhook settle")) == 0 &&
	    sqlite3_changes(q->db) == 0)
		err = store_fail(s, MC_ENOTFOUND,
		                 "webhook event %lld is not leased to %s",
		                 (long long)id, owner);
	return err;
}

/* op: webhook_each */
static int
sq_webhook_each(struct store *s, const char *state, store_webhook_fn *fn,
                void *arg)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_WEBHOOK_EACH);

	if (st == NULL)
		return db_fail(q, "webhook list");
	bind_text(st, 1, state);
	return webhook_rows(q, st, fn, arg, "webhook list");
}

/* op: webhook_retry */
static int
sq_webhook_retry(struct store *s, int64_t id, time_t now, unsigned long *n)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_WEBHOOK_RETRY);
	int err;

	*n = 0;
	if (st == NULL)
		return db_fail(q, "webhook retry");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	if ((err = exec_done(q, st, "webhook retry")) == 0)
		*n = (unsigned long)sqlite3_changes(q->db);
	if (err == 0 && *n == 0 && id != 0)
		err =
		    store_fail(s, MC_ENOTFOUND,
		               "no webhook event %lld to retry", (long long)id);
	return err;
}

/* op: campaign_set_status */
static int
sq_campaign_set_status(struct store *s, int64_t id, const char *status)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_CAMPAIGN_STATUS);
	int err;

	if (st == NULL)
		return db_fail(q, "campaign status");
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, status);
	if ((err = exec_done(q, st, "campaign status")) == 0 &&
	    sqlite3_changes(q->db) == 0)
		err = store_fail(s, MC_ENOTFOUND, "no campaign %lld",
		                 (long long)id);
	return err;
}

/* Run one release statement pair (event, update) bound to (key, owner). */
static int
release_one(struct store_sqlite *q, enum sql_stmt ev, enum sql_stmt up,
            int64_t key, const char *owner, const char *event, time_t now,
            size_t *moved)
{
	sqlite3_stmt *st;
	int err;

	if (event != NULL) {
		if ((st = stmt(q, ev)) == NULL)
			return db_fail(q, "release");
		sqlite3_bind_int64(st, 1, key);
		bind_text(st, 2, owner);
		sqlite3_bind_int64(st, 3, now);
		bind_text(st, 4, event);
		if ((err = exec_done(q, st, "release")) < 0)
			return err;
	}
	if ((st = stmt(q, up)) == NULL)
		return db_fail(q, "release");
	sqlite3_bind_int64(st, 1, key);
	bind_text(st, 2, owner);
	sqlite3_bind_int64(st, 3, now);
	if ((err = exec_done(q, st, "release")) == 0)
		*moved += (size_t)sqlite3_changes(q->db);
	return err;
}

/* op: release */
static int
sq_release(struct store *s, int64_t campaign_id, const char *owner,
           const int64_t *ids, size_t n, const char *event, time_t now,
           size_t *moved)
{
	struct store_sqlite *q = SQ(s);
	int own, err;

	*moved = 0;
	if (owner == NULL || *owner == '\0')
		return store_fail(s, MC_EINVAL, "release needs an owner");
	if ((err = txn_enter(q, &own)) < 0)
		return err;
	if (ids == NULL)
		err = release_one(q, ST_RELEASE_ALL_EV, ST_RELEASE_ALL,
		                  campaign_id, owner, event, now, moved);
	for (size_t i = 0; ids != NULL && i < n && err == 0; i++)
		err = release_one(q, ST_RELEASE_ID_EV, ST_RELEASE_ID, ids[i],
		                  owner, event, now, moved);
	return txn_leave(q, own, err);
}

/* op: lease_owners */
static int
sq_lease_owners(struct store *s, int64_t campaign_id, store_owner_fn *fn,
                void *arg)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_LEASE_OWNERS);
	int rc, stop = 0;

	if (st == NULL)
		return db_fail(q, "lease owners");
	sqlite3_bind_int64(st, 1, campaign_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((stop = fn(arg, (const char *)sqlite3_column_text(st, 0),
		               (unsigned long)sqlite3_column_int64(st, 1))) !=
		    0)
			break;
	if (stop == 0 && rc != SQLITE_DONE)
		stop = db_fail(q, "lease owners");
	sqlite3_reset(st);
	return stop;
}

/* op: holder_add */
static int
sq_holder_add(struct store *s, const struct store_holder *h)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_HOLDER_ADD);

	if (st == NULL)
		return db_fail(q, "holder add");
	bind_text(st, 1, h->owner);
	sqlite3_bind_int64(st, 2, h->campaign_id);
	bind_text(st, 3, h->host);
	sqlite3_bind_int64(st, 4, h->pid);
	sqlite3_bind_int64(st, 5, h->started);
	sqlite3_bind_int64(st, 6, h->timeout);
	return exec_done(q, st, "holder add");
}

/* op: holder_beat */
static int
sq_holder_beat(struct store *s, const char *owner, time_t now)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_HOLDER_BEAT);
	int err;

	if (st == NULL)
		return db_fail(q, "heartbeat");
	bind_text(st, 1, owner);
	sqlite3_bind_int64(st, 2, now);
	if ((err = exec_done(q, st, "heartbeat")) == 0 &&
	    sqlite3_changes(q->db) == 0)
		err = store_fail(s, MC_ENOTFOUND,
		                 "lease holder %s is gone: another run took "
		                 "its rows over",
		                 owner);
	return err;
}

/* op: holder_end */
static int
sq_holder_end(struct store *s, const char *owner)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_HOLDER_END);

	if (st == NULL)
		return db_fail(q, "holder end");
	bind_text(st, 1, owner);
	return exec_done(q, st, "holder end");
}

/* op: holder_each */
static int
sq_holder_each(struct store *s, int64_t campaign_id, store_holder_fn *fn,
               void *arg)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_HOLDER_EACH);
	int rc, stop = 0;

	if (st == NULL)
		return db_fail(q, "holders");
	sqlite3_bind_int64(st, 1, campaign_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_holder h = {
		    .owner = (const char *)sqlite3_column_text(st, 0),
		    .campaign_id = campaign_id,
		    .host = (const char *)sqlite3_column_text(st, 1),
		    .pid = (long)sqlite3_column_int64(st, 2),
		    .started = (time_t)sqlite3_column_int64(st, 3),
		    .heartbeat = (time_t)sqlite3_column_int64(st, 4),
		    .timeout = (unsigned)sqlite3_column_int64(st, 5),
		    .rows = (unsigned long)sqlite3_column_int64(st, 6),
		};

		if ((stop = fn(arg, &h)) != 0)
			break;
	}
	if (stop == 0 && rc != SQLITE_DONE)
		stop = db_fail(q, "holders");
	sqlite3_reset(st);
	return stop;
}

/* ---- fleet limits (docs/fleet.md) ---- */

/* op: slot_take — one write transaction: the slots up to cap exist, the
 * lowest free one below the (slowed) cap is holder's. */
static int
sq_slot_take(struct store *s, const char *dest, unsigned cap,
             const char *holder, int64_t now_ms, int64_t expires_ms,
             unsigned *slot)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st;
	int own, err, rc;

	if ((err = txn_enter(q, &own)) < 0)
		return err;
	if ((st = stmt(q, ST_SLOT_SEED)) == NULL)
		return txn_leave(q, own, db_fail(q, "slot take"));
	bind_text(st, 1, dest);
	sqlite3_bind_int64(st, 2, cap);
	if ((err = exec_done(q, st, "slot take")) < 0)
		return txn_leave(q, own, err);
	if ((st = stmt(q, ST_SLOT_TAKE)) == NULL)
		return txn_leave(q, own, db_fail(q, "slot take"));
	bind_text(st, 1, dest);
	sqlite3_bind_int64(st, 2, cap);
	bind_text(st, 3, holder);
	sqlite3_bind_int64(st, 4, now_ms);
	sqlite3_bind_int64(st, 5, expires_ms);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*slot = (unsigned)sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		err = store_fail(s, MC_EAGAIN, "no free slot for %s", dest);
	else
		err = db_fail(q, "slot take");
	/* RETURNING: the change is done when the statement is */
	if (rc == SQLITE_ROW && sqlite3_step(st) != SQLITE_DONE)
		err = db_fail(q, "slot take");
	sqlite3_reset(st);
	rc = txn_leave(q, own, err == MC_EAGAIN ? 0 : err);
	return rc < 0 ? rc : err;
}

/* op: slot_give */
static int
sq_slot_give(struct store *s, const char *dest, unsigned slot,
             const char *holder)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_SLOT_GIVE);

	if (st == NULL)
		return db_fail(q, "slot give");
	bind_text(st, 1, dest);
	sqlite3_bind_int64(st, 2, slot);
	bind_text(st, 3, holder);
	return exec_done(q, st, "slot give");
}

/* op: slot_renew */
static int
sq_slot_renew(struct store *s, const char *holder, int64_t now_ms,
              int64_t expires_ms, unsigned long *kept)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_SLOT_RENEW);
	int err;

	if (st == NULL)
		return db_fail(q, "slot renew");
	bind_text(st, 1, holder);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_int64(st, 3, expires_ms);
	if ((err = exec_done(q, st, "slot renew")) == 0)
		*kept = (unsigned long)sqlite3_changes(q->db);
	return err;
}

/* op: slot_each */
static int
sq_slot_each(struct store *s, int64_t now_ms, store_slot_fn *fn, void *arg)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_SLOT_EACH);
	int rc, stop = 0;

	if (st == NULL)
		return db_fail(q, "slots");
	sqlite3_bind_int64(st, 1, now_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_slot sl = {
		    .dest = (const char *)sqlite3_column_text(st, 0),
		    .slot = (unsigned)sqlite3_column_int64(st, 1),
		    .holder = (const char *)sqlite3_column_text(st, 2),
		    .expires_ms = sqlite3_column_int64(st, 3),
		    .penalty = (unsigned)sqlite3_column_int64(st, 4),
		    .backoff_until = sqlite3_column_int64(st, 5),
		};

		if ((stop = fn(arg, &sl)) != 0)
			break;
	}
	if (stop == 0 && rc != SQLITE_DONE)
		stop = db_fail(q, "slots");
	sqlite3_reset(st);
	return stop;
}

/* op: dest_tokens — one write transaction: refill, take, write back. */
static int
sq_dest_tokens(struct store *s, const char *dest, double rate, double burst,
               unsigned want, int64_t now_ms, unsigned *granted)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st;
	double tokens;
	int64_t at;
	unsigned pen;
	int own, err;

	*granted = 0;
	if ((err = txn_enter(q, &own)) < 0)
		return err;
	if ((st = stmt(q, ST_LIMIT_SEED)) == NULL)
		return txn_leave(q, own, db_fail(q, "tokens"));
	bind_text(st, 1, dest);
	sqlite3_bind_double(st, 2, burst);
	sqlite3_bind_int64(st, 3, now_ms);
	if ((err = exec_done(q, st, "tokens")) < 0)
		return txn_leave(q, own, err);
	if ((st = stmt(q, ST_LIMIT_GET)) == NULL)
		return txn_leave(q, own, db_fail(q, "tokens"));
	bind_text(st, 1, dest);
	if (sqlite3_step(st) != SQLITE_ROW) {
		err = db_fail(q, "tokens");
		sqlite3_reset(st);
		return txn_leave(q, own, err);
	}
	tokens = sqlite3_column_double(st, 0);
	at = sqlite3_column_int64(st, 1);
	pen = (unsigned)sqlite3_column_int64(st, 2);
	sqlite3_reset(st);
	store_bucket_take(&tokens, &at, rate, pen, burst, want, now_ms,
	                  granted);
	if ((st = stmt(q, ST_LIMIT_PUT)) == NULL)
		return txn_leave(q, own, db_fail(q, "tokens"));
	bind_text(st, 1, dest);
	sqlite3_bind_double(st, 2, tokens);
	sqlite3_bind_int64(st, 3, at);
	return txn_leave(q, own, exec_done(q, st, "tokens"));
}

/* op: dest_slow */
static int
sq_dest_slow(struct store *s, const char *dest, unsigned penalty,
             int64_t backoff_until)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_LIMIT_SLOW);

	if (st == NULL)
		return db_fail(q, "slow down");
	bind_text(st, 1, dest);
	sqlite3_bind_int64(st, 2, penalty);
	sqlite3_bind_int64(st, 3, backoff_until);
	return exec_done(q, st, "slow down");
}

/* Is owner's heartbeat at or after t?  1 yes, 0 no, or MC_E*. */
static int
holder_fresh(struct store_sqlite *q, const char *owner, time_t t)
{
	sqlite3_stmt *st = stmt(q, ST_HOLDER_FRESH);
	int rc;

	if (st == NULL)
		return db_fail(q, "takeover");
	bind_text(st, 1, owner);
	sqlite3_bind_int64(st, 2, t);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : db_fail(q, "takeover");
}

/* op: holder_take */
static int
sq_holder_take(struct store *s, int64_t campaign_id, const char *owner,
               time_t stale_before, time_t now, size_t *inflight,
               size_t *pending)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st;
	int own, err;

	*inflight = *pending = 0;
	if ((err = txn_enter(q, &own)) < 0)
		return err;
	if (stale_before > 0 &&
	    (err = holder_fresh(q, owner, stale_before)) > 0)
		err =
		    store_fail(s, MC_EAGAIN, "lease holder %s is alive", owner);
	if (err == 0)
		err = release_one(q, ST_RELEASE_ALL_EV, ST_TAKE_INFLIGHT,
		                  campaign_id, owner, "inflight-unknown", now,
		                  inflight);
	if (err == 0)
		err = release_one(q, ST_RELEASE_ALL_EV, ST_RELEASE_ALL,
		                  campaign_id, owner, NULL, now, pending);
	if (err == 0) {
		if ((st = stmt(q, ST_HOLDER_END)) == NULL) {
			err = db_fail(q, "takeover");
		} else {
			bind_text(st, 1, owner);
			err = exec_done(q, st, "takeover");
		}
	}
	return txn_leave(q, own, err);
}

/* op: next_due */
static int
sq_next_due(struct store *s, int64_t campaign_id, time_t *when)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_NEXT_DUE);
	int err = 0;

	if (st == NULL)
		return db_fail(q, "next due");
	sqlite3_bind_int64(st, 1, campaign_id);
	if (sqlite3_step(st) != SQLITE_ROW)
		err = db_fail(q, "next due");
	else if (sqlite3_column_type(st, 0) == SQLITE_NULL)
		err = MC_ENOTFOUND;
	else
		*when = (time_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return err;
}

/* A column's text, or NULL. */
static const char *
col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* op: delivery_each */
static int
sq_delivery_each(struct store *s, int64_t campaign_id, int state,
                 store_dlv_fn *fn, void *arg)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, state < 0 ? ST_DLV_EACH : ST_DLV_EACH_STATE);
	int rc, stop = 0;

	if (st == NULL)
		return db_fail(q, "deliveries");
	sqlite3_bind_int64(st, 1, campaign_id);
	if (state >= 0)
		bind_text(st, 2, store_dlv_state_name(state));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_dlv_row r;
		int stv = store_dlv_state_parse(col_text(st, 3));

		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(st, 0);
		r.contact_id = sqlite3_column_int64(st, 1);
		r.address = col_text(st, 2);
		r.state = stv < 0 ? DLV_PENDING : (enum store_dlv_state)stv;
		r.attempts = sqlite3_column_int(st, 4);
		r.reply_code = sqlite3_column_int(st, 5);
		r.enhanced = col_text(st, 6);
		r.text = col_text(st, 7);
		r.relay = col_text(st, 8);
		r.queue_id = col_text(st, 9);
		r.next_attempt = (time_t)sqlite3_column_int64(st, 10);
		r.updated = (time_t)sqlite3_column_int64(st, 11);
		r.sent = (time_t)sqlite3_column_int64(st, 12);
		if ((stop = fn(arg, &r)) != 0)
			break;
	}
	if (stop == 0 && rc != SQLITE_DONE)
		stop = db_fail(q, "deliveries");
	sqlite3_reset(st);
	return stop;
}

/* op: event_each */
static int
sq_event_each(struct store *s, int64_t campaign_id, const char *kind,
              store_event_fn *fn, void *arg)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_EVENT_EACH);
	int rc, stop = 0;

	if (st == NULL)
		return db_fail(q, "events");
	sqlite3_bind_int64(st, 1, campaign_id);
	bind_text(st, 2, kind);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_event e;

		e.campaign_id = campaign_id;
		e.contact_id = sqlite3_column_int64(st, 0);
		e.address = col_text(st, 1);
		e.kind = col_text(st, 2);
		e.detail = col_text(st, 3);
		e.at = (time_t)sqlite3_column_int64(st, 4);
		if ((stop = fn(arg, &e)) != 0)
			break;
	}
	if (stop == 0 && rc != SQLITE_DONE)
		stop = db_fail(q, "events");
	sqlite3_reset(st);
	return stop;
}

/* The ledger aggregates of a campaign: its rows counted in one pass
 * (ledger_count.h: a GROUP BY in SQLite sorts every row, each time). */
static int
sq_ledger_aggregate(struct store_sqlite *q, enum store_agg what,
                    int64_t campaign_id, store_agg_fn *fn, void *arg)
{
	sqlite3_stmt *st = stmt(q, ST_DLV_SCAN);
	struct ledger_count *lc;
	int64_t since = 0;
	int rc, stop;

	if (st == NULL)
		return db_fail(q, "aggregate");
	lc = ledger_count_new();
	sqlite3_bind_int64(st, 1, campaign_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int stv = store_dlv_state_parse(col_text(st, 0));

		ledger_count_add(
		    lc, stv < 0 ? DLV_PENDING : (enum store_dlv_state)stv,
		    col_text(st, 1), sqlite3_column_int(st, 2), col_text(st, 3),
		    sqlite3_column_int64(st, 4));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE || (st = stmt(q, ST_AGG_SINCE)) == NULL) {
		ledger_count_free(lc);
		return db_fail(q, "aggregate");
	}
	sqlite3_bind_int64(st, 1, campaign_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		since = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	stop = ledger_count_emit(lc, what, since, fn, arg);
	ledger_count_free(lc);
	return stop;
}

/* op: aggregate */
static int
sq_aggregate(struct store *s, enum store_agg what, int64_t campaign_id,
             store_agg_fn *fn, void *arg)
{
	static const int ids[] = {
	    [STORE_AGG_BOUNCES] = ST_AGG_BOUNCES,
	    [STORE_AGG_ACTIVITY] = ST_AGG_ACTIVITY,
	    [STORE_AGG_MAILBOXES] = ST_AGG_MAILBOXES,
	};
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st;
	int rc, stop = 0;

	if (what == STORE_AGG_RELAYS || what == STORE_AGG_REPLIES ||
	    what == STORE_AGG_DONE_TIME || what == STORE_AGG_UPDATES ||
	    what == STORE_AGG_LEDGER)
		return sq_ledger_aggregate(q, what, campaign_id, fn, arg);
	if ((unsigned)what >= sizeof(ids) / sizeof(ids[0]))
		return store_fail(s, MC_EINVAL, "aggregate: no such kind");
	if ((st = stmt(q, ids[what])) == NULL)
		return db_fail(q, "aggregate");
	if (what != STORE_AGG_MAILBOXES)
		sqlite3_bind_int64(st, 1, campaign_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_agg_row r = {
		    .what = what,
		    .key = col_text(st, 0),
		    .sub = col_text(st, 1),
		    .at = sqlite3_column_int64(st, 2),
		    .n = (unsigned long)sqlite3_column_int64(st, 3),
		};

		if ((stop = fn(arg, &r)) != 0)
			break;
	}
	if (stop == 0 && rc != SQLITE_DONE)
		stop = db_fail(q, "aggregate");
	sqlite3_reset(st);
	return stop;
}

/* op: mailbox_fetch_put */
static int
sq_mailbox_fetch_put(struct store *s, const struct store_mailbox_fetch *f)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_FETCH_PUT);

	if (st == NULL)
		return db_fail(q, "mailbox fetches");
	bind_text(st, 1, f->mailbox);
	sqlite3_bind_int64(st, 2, f->at);
	bind_text(st, 3, f->outcome);
	bind_text(st, 4, f->why ? f->why : "");
	sqlite3_bind_int64(st, 5, (sqlite3_int64)f->messages);
	bind_text(st, 6, f->summary ? f->summary : "");
	return exec_done(q, st, "mailbox fetches");
}

/* op: mailbox_fetch_each */
static int
sq_mailbox_fetch_each(struct store *s, store_mailbox_fetch_fn *fn, void *arg)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_FETCH_EACH);
	int rc, stop = 0;

	if (st == NULL)
		return db_fail(q, "mailbox fetches");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_mailbox_fetch f = {
		    .mailbox = col_text(st, 0),
		    .at = (time_t)sqlite3_column_int64(st, 1),
		    .outcome = col_text(st, 2),
		    .why = col_text(st, 3),
		    .messages = (unsigned long)sqlite3_column_int64(st, 4),
		    .summary = col_text(st, 5),
		};

		if ((stop = fn(arg, &f)) != 0)
			break;
	}
	if (stop == 0 && rc != SQLITE_DONE)
		stop = db_fail(q, "mailbox fetches");
	sqlite3_reset(st);
	return stop;
}

/* op: token_key_add */
static int
sq_token_key_add(struct store *s, const char *hex, bool signs, time_t now,
                 int64_t *id)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_TOKEN_KEY_ADD);
	int rc;

	if (st == NULL)
		return db_fail(q, "token key");
	bind_text(st, 1, hex);
	sqlite3_bind_int(st, 2, signs);
	sqlite3_bind_int64(st, 3, now);
	if ((rc = exec_done(q, st, "token key")) < 0)
		return rc;
	*id = sqlite3_last_insert_rowid(q->db);
	return 0;
}

/* op: token_key_each */
static int
sq_token_key_each(struct store *s, store_token_key_fn *fn, void *arg)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_TOKEN_KEY_EACH);
	int rc, stop = 0;

	if (st == NULL)
		return db_fail(q, "token keys");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((stop = fn(arg, sqlite3_column_int64(st, 0),
		               col_text(st, 1), sqlite3_column_int(st, 2) != 0,
		               (time_t)sqlite3_column_int64(st, 3))) != 0)
			break;
	if (stop == 0 && rc != SQLITE_DONE)
		stop = db_fail(q, "token keys");
	sqlite3_reset(st);
	return stop;
}

/* op: api_token_add */
static int
sq_api_token_add(struct store *s, const struct store_api_token *t, int64_t *id)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_API_TOKEN_ADD);
	int rc;

	if (st == NULL)
		return db_fail(q, "api token");
	bind_text(st, 1, t->name);
	bind_text(st, 2, t->scope);
	bind_text(st, 3, t->hash);
	sqlite3_bind_int64(st, 4, t->created);
	if ((rc = exec_done(q, st, "api token")) < 0)
		return rc;
	*id = sqlite3_last_insert_rowid(q->db);
	return 0;
}

/* op: api_token_each */
static int
sq_api_token_each(struct store *s, int64_t id, store_api_token_fn *fn,
                  void *arg)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_API_TOKEN_EACH);
	struct store_api_token t;
	int rc, stop = 0;

	if (st == NULL)
		return db_fail(q, "api tokens");
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&t, 0, sizeof(t));
		t.id = sqlite3_column_int64(st, 0);
		mc_strlcpy(t.name, col_text(st, 1), sizeof(t.name));
		mc_strlcpy(t.scope, col_text(st, 2), sizeof(t.scope));
		mc_strlcpy(t.hash, col_text(st, 3), sizeof(t.hash));
		t.created = (time_t)sqlite3_column_int64(st, 4);
		t.revoked = (time_t)sqlite3_column_int64(st, 5);
		if ((stop = fn(arg, &t)) != 0)
			break;
	}
	if (stop == 0 && rc != SQLITE_DONE)
		stop = db_fail(q, "api tokens");
	sqlite3_reset(st);
	return stop;
}

/* op: api_token_revoke */
static int
sq_api_token_revoke(struct store *s, int64_t id, time_t now)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_API_TOKEN_REVOKE);
	int rc;

	if (st == NULL)
		return db_fail(q, "api token");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	if ((rc = exec_done(q, st, "api token")) < 0)
		return rc;
	if (sqlite3_changes(q->db) == 0)
		return store_fail(s, MC_ENOTFOUND,
		                  "no api token %lld (or revoked already)",
		                  (long long)id);
	return 0;
}

/*
 * Segments: a statement around a compiled segment is prepared per call
 * (the condition differs each time); the segment's parameters are bound
 * by number after the statement's own (?1.. below SEG_FIRST_*).
 */
#define SEG_FROM_LIST                                                          \
	" FROM list_members m JOIN contacts c ON c.id = m.contact_id WHERE "   \
	"m.list_id = ?1 AND "
#define SEG_FROM_ALL   " FROM contacts c WHERE c.deleted_at IS NULL AND "
#define SEG_FIRST      2 /* ?1: the list */
#define SEG_FIRST_FILL 8 /* after ST_CAMPAIGN_FILL's ?1..?3, with room */

/* Prepare head + (the segment's condition) + tail, its parameters bound;
 * NULL after an error (in s->last_error). */
static sqlite3_stmt *
seg_prepare(struct store_sqlite *q, const char *head, const struct segment *seg,
            time_t now, int first, const char *tail)
{
	struct segment_sql w;
	sqlite3_stmt *st = NULL;
	char *sql;

	segment_compile(seg, SEGMENT_SQLITE, first, now, &w);
	sql = xasprintf("%s(%s)%s", head, w.where, tail);
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_fail(q, "segment");
		st = NULL;
		goto done;
	}
	for (size_t i = 0; i < w.nparams; i++) {
		const struct segment_param *p = &w.params[i];
		int k = w.first + (int)i;

		if (p->type == SEGMENT_P_TEXT)
			sqlite3_bind_text(st, k, p->text, -1, SQLITE_TRANSIENT);
		else if (p->type == SEGMENT_P_INT)
			sqlite3_bind_int64(st, k, p->i);
		else
			sqlite3_bind_double(st, k, p->r);
	}
done:
	free(sql);
	segment_sql_fini(&w);
	return st;
}

/* op: segment_count */
static int
sq_segment_count(struct store *s, int64_t list_id, const struct segment *seg,
                 time_t now, unsigned long *n)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st =
	    seg_prepare(q,
	                list_id > 0 ? "SELECT count(*)" SEG_FROM_LIST
	                            : "SELECT count(*)" SEG_FROM_ALL,
	                seg, now, SEG_FIRST, "");
	int err = 0;

	if (st == NULL)
		return MC_EIO;
	if (list_id > 0)
		sqlite3_bind_int64(st, 1, list_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = (unsigned long)sqlite3_column_int64(st, 0);
	else
		err = db_fail(q, "segment count");
	sqlite3_finalize(st);
	return err;
}

/* op: segment_each */
static int
sq_segment_each(struct store *s, int64_t list_id, const struct segment *seg,
                time_t now, store_contact_fn *fn, void *arg)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st =
	    seg_prepare(q,
	                list_id > 0 ? "SELECT " CONTACT_ROW SEG_FROM_LIST
	                            : "SELECT " CONTACT_ROW SEG_FROM_ALL,
	                seg, now, SEG_FIRST, " ORDER BY c.address");
	int stop;

	if (st == NULL)
		return MC_EIO;
	if (list_id > 0)
		sqlite3_bind_int64(st, 1, list_id);
	stop = contact_rows(q, st, fn, arg, "segment contacts");
	sqlite3_finalize(st);
	return stop;
}

/* op: segment_add_to_list */
static int
sq_segment_add_to_list(struct store *s, int64_t list_id,
                       const struct segment *seg, time_t now, int64_t to_list,
                       unsigned long *added)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = seg_prepare(
	    q,
	    list_id > 0 ? "INSERT INTO list_members(list_id, contact_id, "
	                  "added_at) SELECT ?2, c.id, ?3" SEG_FROM_LIST
	                : "INSERT INTO list_members(list_id, contact_id, "
	                  "added_at) SELECT ?2, c.id, ?3" SEG_FROM_ALL,
	    seg, now, 4, " ON CONFLICT DO NOTHING");
	int err = 0;

	*added = 0;
	if (st == NULL)
		return MC_EIO;
	if (list_id > 0)
		sqlite3_bind_int64(st, 1, list_id);
	sqlite3_bind_int64(st, 2, to_list);
	sqlite3_bind_int64(st, 3, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		err = db_fail(q, "segment add");
	else
		*added = (unsigned long)sqlite3_changes(q->db);
	sqlite3_finalize(st);
	return err;
}

/* op: campaign_create_segment */
static int
sq_campaign_create_segment(struct store *s, const char *name, int64_t list_id,
                           const struct segment *seg, time_t now, int64_t *id,
                           unsigned long *rows)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st;
	char *head;
	int own, err;

	*rows = 0;
	if ((err = txn_enter(q, &own)) < 0)
		return err;
	if ((err = campaign_insert(q, name, list_id, now, id)) < 0)
		goto done;
	/* the list's fill, narrowed to the segment */
	head = xasprintf("%s AND ", sql_text[ST_CAMPAIGN_FILL]);
	st = seg_prepare(q, head, seg, now, SEG_FIRST_FILL, "");
	free(head);
	if (st == NULL) {
		err = MC_EIO;
		goto done;
	}
	sqlite3_bind_int64(st, 1, *id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, list_id);
	if (sqlite3_step(st) != SQLITE_DONE)
		err = db_fail(q, "campaign rows");
	else
		*rows = (unsigned long)sqlite3_changes(q->db);
	sqlite3_finalize(st);
done:
	return txn_leave(q, own, err);
}

/* op: contact_tally */
static int
sq_contact_tally(struct store *s, int64_t list_id,
                 unsigned long counts[CONTACT__COUNT])
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, list_id > 0 ? ST_TALLY_LIST : ST_TALLY_ALL);
	int rc;

	if (st == NULL)
		return db_fail(q, "count");
	if (list_id > 0)
		sqlite3_bind_int64(st, 1, list_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int k = store_contact_status_parse(col_text(st, 0));

		if (k >= 0)
			counts[k] = (unsigned long)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(q, "count");
}

/* op: member_copy */
static int
sq_member_copy(struct store *s, int64_t list_id, int64_t from, time_t now,
               unsigned long *joined)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_MEMBER_COPY);
	int err;

	if (st == NULL)
		return db_fail(q, "membership");
	sqlite3_bind_int64(st, 1, list_id);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, now);
	if ((err = exec_done(q, st, "membership")) < 0)
		return err;
	*joined = (unsigned long)sqlite3_changes(q->db);
	return 0;
}

/* op: audit_context — one audit_contexts row per call with an actor. */
static int
sq_audit_context(struct store *s, const char *actor, const char *why)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st;
	int err;

	q->ctx = 0;
	if (actor == NULL && why == NULL)
		return 0;
	if ((st = stmt(q, ST_AUDIT_CTX)) == NULL)
		return db_fail(q, "audit");
	bind_text(st, 1, actor != NULL ? actor : "mailcast");
	bind_text(st, 2, why);
	if ((err = exec_done(q, st, "audit")) < 0)
		return err;
	q->ctx = sqlite3_last_insert_rowid(q->db);
	return 0;
}

/* SQL mc_audit_ctx(): the audit context's row, or NULL. */
static void
fn_audit_ctx(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	struct store_sqlite *q = sqlite3_user_data(cx);

	(void)argc;
	(void)argv;
	if (q->ctx > 0)
		sqlite3_result_int64(cx, q->ctx);
	else
		sqlite3_result_null(cx);
}

/* op: contact_get */
static int
sq_contact_get(struct store *s, const char *address, store_contact_fn *fn,
               void *arg)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_CONTACT_BY_ADDR);
	char erased[STORE_ERASE_ENTRY_LEN + 1];
	int rc;

	if (st == NULL)
		return db_fail(q, "contact");
	store_erase_entry(q->salt, address, erased);
	bind_text(st, 1, address);
	bind_text(st, 2, erased);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_contact c = {
		    .id = sqlite3_column_int64(st, 0),
		    .address = col_text(st, 1),
		    .domain = col_text(st, 2),
		    .attrs = col_text(st, 3),
		    .status = col_text(st, 4),
		    .created = (time_t)sqlite3_column_int64(st, 5),
		    .status_at = (time_t)sqlite3_column_int64(st, 6),
		    .lists = col_text(st, 7),
		};
		rc = fn(arg, &c);
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(q, "contact");
	return store_fail(s, MC_ENOTFOUND, "%s is not a contact", address);
}

/* op: contact_set_attrs */
static int
sq_contact_set_attrs(struct store *s, int64_t id, const char *patch, time_t now,
                     int *changed)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_CONTACT_PATCH);
	int err;

	if (st == NULL)
		return db_fail(q, "contact attributes");
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, patch);
	sqlite3_bind_int64(st, 3, now);
	if ((err = exec_done(q, st, "contact attributes")) < 0)
		return err;
	*changed = sqlite3_changes(q->db) > 0;
	return 0;
}

/* Run statement id with ?1 text a, ?2 text b (unless NULL) and ?3 the
 * integer n (a statement without a ?3 ignores it). */
static int
run3(struct store_sqlite *q, enum sql_stmt id, const char *op, const char *a,
     const char *b, int64_t n)
{
	sqlite3_stmt *st = stmt(q, id);

	if (st == NULL)
		return db_fail(q, op);
	bind_text(st, 1, a);
	if (b != NULL)
		bind_text(st, 2, b);
	sqlite3_bind_int64(st, 3, n);
	return exec_done(q, st, op);
}

/* Run statement id with ?1 an id and ?2 an integer (if it has one). */
static int
run_id(struct store_sqlite *q, enum sql_stmt id, const char *op, int64_t a,
       int64_t b)
{
	sqlite3_stmt *st = stmt(q, id);

	if (st == NULL)
		return db_fail(q, op);
	sqlite3_bind_int64(st, 1, a);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, b);
	return exec_done(q, st, op);
}

/* The erasure of contact id (address): see store.h, contact_remove. */
static int
erase_contact(struct store_sqlite *q, int64_t id, const char *address,
              enum store_supp_reason reason, time_t now)
{
	char entry[STORE_ERASE_ENTRY_LEN + 1], as[STORE_ERASE_ENTRY_LEN + 32];
	sqlite3_stmt *st;
	int err, taken = 0;

	store_erase_entry(q->salt, address, entry);
	if ((err = run3(q, ST_ERASE_SUPP_COPY, "erase", address, entry, 0)) <
	        0 ||
	    (err = run3(q, ST_SUPP_DELETE, "erase", address, NULL, 0)) < 0)
		return err;
	if ((st = stmt(q, ST_ERASE_SUPP_ADD)) == NULL)
		return db_fail(q, "erase");
	bind_text(st, 1, entry);
	bind_text(st, 2, store_supp_reason_name(reason));
	sqlite3_bind_int64(st, 3, now);
	if ((err = exec_done(q, st, "erase")) < 0 ||
	    (err = run3(q, ST_ERASE_BOUNCES, "erase", address, entry, id)) <
	        0 ||
	    (err = run_id(q, ST_ERASE_LEDGER, "erase", id, 0)) < 0 ||
	    (err = run_id(q, ST_ERASE_EVENTS, "erase", id, 0)) < 0 ||
	    (err = run_id(q, ST_ERASE_AUDIT, "erase", id, q->ctx)) < 0 ||
	    (err = run_id(q, ST_MEMBERS_DROP, "erase", id, 0)) < 0)
		return err;
	/* An address erased twice (erased, imported again, erased): the
	 * second contact's row takes the entry with its id after it. */
	if ((st = stmt(q, ST_ERASE_TAKEN)) == NULL)
		return db_fail(q, "erase");
	bind_text(st, 1, entry);
	taken = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	snprintf(as, sizeof(as), taken ? "%s#%lld" : "%s", entry,
	         (long long)id);
	if ((st = stmt(q, ST_ERASE_CONTACT)) == NULL)
		return db_fail(q, "erase");
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, as);
	sqlite3_bind_int64(st, 3, now);
	return exec_done(q, st, "erase");
}

/* op: contact_remove */
static int
sq_contact_remove(struct store *s, int64_t id, bool erase,
                  enum store_supp_reason reason, time_t now)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_CONTACT_ADDR);
	char address[STORE_ADDRESS_MAX + 1];
	int own, err, rc;

	if (st == NULL)
		return db_fail(q, "contact");
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		mc_strlcpy(address, col_text(st, 0), sizeof(address));
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return store_fail(s, MC_ENOTFOUND, "no contact with id %lld",
		                  (long long)id);
	if (rc != SQLITE_ROW)
		return db_fail(q, "contact");
	if ((err = txn_enter(q, &own)) < 0)
		return err;
	if (erase)
		err = erase_contact(q, id, address, reason, now);
	else if ((err = run_id(q, ST_MEMBERS_DROP, "delete", id, 0)) == 0 &&
	         (err = run_id(q, ST_CONTACT_HIDE, "delete", id, now)) == 0)
		err = run_id(q, ST_CONTACT_SKIP, "delete", id, now);
	return txn_leave(q, own, err);
}

/* op: contact_history */
static int
sq_contact_history(struct store *s, int64_t id, store_audit_fn *fn, void *arg)
{
	struct store_sqlite *q = SQ(s);
	sqlite3_stmt *st = stmt(q, ST_HISTORY);
	int rc, stop = 0;

	if (st == NULL)
		return db_fail(q, "history");
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_audit a = {
		    .at = (time_t)sqlite3_column_int64(st, 0),
		    .actor = col_text(st, 1),
		    .action = col_text(st, 2),
		    .detail = (const char *)sqlite3_column_text(st, 3),
		};
		if ((stop = fn(arg, &a)) != 0)
			break;
	}
	if (stop == 0 && rc != SQLITE_DONE)
		stop = db_fail(q, "history");
	sqlite3_reset(st);
	return stop;
}

/* op: erase_entry */
static int
sq_erase_entry(struct store *s, const char *address,
               char out[STORE_ERASE_ENTRY_LEN + 1])
{
	store_erase_entry(SQ(s)->salt, address, out);
	return 0;
}

static const struct store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .list_ensure = sq_list_ensure,
    .list_find = sq_list_find,
    .list_delete = sq_list_delete,
    .list_each = sq_list_each,
    .contact_upsert = sq_contact_upsert,
    .contact_upsert_many = sq_contact_upsert_many,
    .durable_commits = sq_durable_commits,
    .contact_each = sq_contact_each,
    .contact_first = sq_contact_first,
    .contact_count = sq_contact_count,
    .member_remove = sq_member_remove,
    .contact_tally = sq_contact_tally,
    .member_copy = sq_member_copy,
    .audit_context = sq_audit_context,
    .contact_get = sq_contact_get,
    .contact_set_attrs = sq_contact_set_attrs,
    .contact_remove = sq_contact_remove,
    .contact_history = sq_contact_history,
    .erase_entry = sq_erase_entry,
    .supp_add = sq_supp_add,
    .supp_remove = sq_supp_remove,
    .supp_check = sq_supp_check,
    .supp_check_many = sq_supp_check_many,
    .supp_version = sq_supp_version,
    .supp_each = sq_supp_each,
    .campaign_create = sq_campaign_create,
    .campaign_find = sq_campaign_find,
    .lease = sq_lease,
    .mark_inflight = sq_mark_inflight,
    .record = sq_record,
    .requeue_stale = sq_requeue_stale,
    .count_states = sq_count_states,
    .bounce_add = sq_bounce_add,
    .event_add = sq_event_add,
    .bounce_record = sq_bounce_record,
    .bounce_count = sq_bounce_count,
    .contact_lookup = sq_contact_lookup,
    .contact_set_status = sq_contact_set_status,
    .delivery_bounced = sq_delivery_bounced,
    .delivery_sent = sq_delivery_sent,
    .mailbox_seen_get = sq_mailbox_seen_get,
    .mailbox_seen_put = sq_mailbox_seen_put,
    .mailbox_fetch_put = sq_mailbox_fetch_put,
    .mailbox_fetch_each = sq_mailbox_fetch_each,
    .signup_mark = sq_signup_mark,
    .signup_contact = sq_signup_contact,
    .check = sq_check,
    .campaign_get = sq_campaign_get,
    .campaign_set_status = sq_campaign_set_status,
    .release = sq_release,
    .lease_owners = sq_lease_owners,
    .next_due = sq_next_due,
    .delivery_each = sq_delivery_each,
    .aggregate = sq_aggregate,
    .event_each = sq_event_each,
    .token_key_add = sq_token_key_add,
    .token_key_each = sq_token_key_each,
    .track_link_put = sq_track_link_put,
    .track_link_each = sq_track_link_each,
    .track_hit = sq_track_hit,
    .holder_add = sq_holder_add,
    .holder_beat = sq_holder_beat,
    .holder_end = sq_holder_end,
    .holder_each = sq_holder_each,
    .holder_take = sq_holder_take,
    .slot_take = sq_slot_take,
    .slot_give = sq_slot_give,
    .slot_renew = sq_slot_renew,
    .slot_each = sq_slot_each,
    .dest_tokens = sq_dest_tokens,
    .dest_slow = sq_dest_slow,
    .campaign_each = sq_campaign_each,
    .segment_count = sq_segment_count,
    .segment_each = sq_segment_each,
    .segment_add_to_list = sq_segment_add_to_list,
    .campaign_create_segment = sq_campaign_create_segment,
    .campaign_delete = sq_campaign_delete,
    .campaign_file_put = sq_campaign_file_put,
    .campaign_file_each = sq_campaign_file_each,
    .campaign_schedule = sq_campaign_schedule,
    .campaign_claim_due = sq_campaign_claim_due,
    .api_token_add = sq_api_token_add,
    .api_token_each = sq_api_token_each,
    .api_token_revoke = sq_api_token_revoke,
    .user_put = sq_user_put,
    .user_get = sq_user_get,
    .user_mark = sq_user_mark,
    .webhook_arm = sq_webhook_arm,
    .webhook_lease = sq_webhook_lease,
    .webhook_settle = sq_webhook_settle,
    .webhook_each = sq_webhook_each,
    .webhook_retry = sq_webhook_retry,
};

/* The version schema_version records (0 for a store without one). */
static int
sq_schema_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int version = 0;

	if (sqlite3_prepare_v2(db, "SELECT max(version) FROM schema_version",
	                       -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return version;
}

/* A store migrated by a newer mailcast: refused, with the reason. */
static int
newer_schema(int version, char *err, size_t errsz)
{
	snprintf(err, errsz,
	         "the database has schema version %d, newer than this "
	         "mailcast knows (%d); upgrade mailcast",
	         version, STORE_SQLITE_SCHEMA);
	return MC_ECONFIG;
}

/*
 * Bring the schema up to target (STORE_SQLITE_SCHEMA when out of range);
 * *was gets the version found.  A newer schema is refused.
 *
 * Several processes may open the same store at once (a worker and the
 * CLI, or two commands on a brand-new file).  Each step reads the version
 * again inside its write transaction, so a step another process has
 * already taken is skipped rather than run twice.
 */
static int
migrate(sqlite3 *db, int target, int *was, char *err, size_t errsz)
{
	char *msg = NULL;
	int version;

	if (sqlite3_exec(
	        db,
	        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER "
	        "NOT NULL)",
	        NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	if ((version = sq_schema_version(db)) < 0)
		goto fail;
	if (was != NULL)
		*was = version;
	if (target < 0 || target > STORE_SQLITE_SCHEMA)
		target = STORE_SQLITE_SCHEMA;
	if (version > STORE_SQLITE_SCHEMA)
		return newer_schema(version, err, errsz);
	/* A migration may rebuild a table that others reference: with
	 * foreign keys on, dropping the old one would cascade.  (The pragma
	 * is a no-op inside a transaction, so it goes here.) */
	if (version < target)
		sqlite3_exec(db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL);
	while (version < target) {
		char *bump = NULL;
		int rc, stepped = 0;

		rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
		if (rc == SQLITE_OK && (version = sq_schema_version(db)) < 0)
			rc = SQLITE_ERROR;
		if (rc == SQLITE_OK && version < target) {
			stepped = 1;
			bump = xasprintf("DELETE FROM schema_version; INSERT "
			                 "INTO schema_version VALUES (%d)",
			                 version + 1);
			rc = sqlite3_exec(db, migrations[version], NULL, NULL,
			                  &msg);
			if (rc == SQLITE_OK)
				rc = sqlite3_exec(db, bump, NULL, NULL, &msg);
		}
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
		free(bump);
		if (rc != SQLITE_OK) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			snprintf(err, errsz, "migration to schema %d: %s",
			         version + 1, msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			return MC_EIO;
		}
		if (!stepped && version > STORE_SQLITE_SCHEMA)
			return newer_schema(version, err,
			                    errsz); /* meanwhile */
		if (!stepped)
			break;
		version++;
	}
	sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	return 0;
fail:
	snprintf(err, errsz, "schema: %s", msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return MC_EIO;
}

/* The folder of path (a copy the caller frees). */
static char *
sq_dir(const char *path)
{
	char *copy = xstrdup(path);
	char *dir = xstrdup(dirname(copy));

	free(copy);
	return dir;
}

/*
 * Can this process write the existing store at path?  0, or MC_EROFS with
 * the reason in err.  A file without any write bit counts as read-only
 * even for root, who could write it anyway: someone made it so on purpose.
 * SQLite writes its journal (PATH-wal, PATH-shm) beside the file, so the
 * folder must be writable too.
 */
static int
sq_writable(const char *path, const struct stat *sb, char *err, size_t errsz)
{
	char *dir;
	int rc = 0;

	if ((sb->st_mode & 0222) == 0)
		return mc_fail(
		    MC_EROFS, err, errsz,
		    "store %s is read-only (mode %04o; `chmod 600 %s` "
		    "lets mailcast write it)",
		    path, (unsigned)(sb->st_mode & 07777), path);
	if (access(path, W_OK) < 0)
		return mc_fail(MC_EROFS, err, errsz,
		               "store %s is read-only for this user (%s)", path,
		               strerror(errno));
	dir = sq_dir(path);
	if (access(dir, W_OK) < 0)
		rc = mc_fail(
		    MC_EROFS, err, errsz,
		    "store %s is read-only: its folder %s cannot be "
		    "written (%s), and SQLite writes its journal %s-wal "
		    "there",
		    path, dir, strerror(errno), path);
	free(dir);
	return rc;
}

/* "file:PATH?mode=ro[&immutable=1]", PATH percent-encoded. */
static char *
sq_uri(const char *path, bool immutable)
{
	static const char keep[] = "/._-~+,=:@";
	size_t n = strlen(path);
	char *uri = xmalloc(3 * n + 40), *p = uri;

	while (path[0] == '/' && path[1] == '/')
		path++; /* "file://" would start an authority */
	p += sprintf(p, "file:");
	for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr(keep, *s) != NULL)
			*p++ = (char)*s;
		else
			p += sprintf(p, "%%%02X", *s);
	}
	sprintf(p, "?mode=ro%s", immutable ? "&immutable=1" : "");
	return uri;
}

/* The schema version of db into *version (-1: no schema_version table,
 * not a store); an SQLite result code. */
static int
sq_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *st;
	int rc;

	*version = -1;
	rc = sqlite3_prepare_v2(db, "SELECT max(version) FROM schema_version",
	                        -1, &st, NULL);
	if (rc == SQLITE_ERROR &&
	    strncmp(sqlite3_errmsg(db), "no such table", 13) == 0)
		return SQLITE_OK;
	if (rc != SQLITE_OK)
		return rc;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Open path read-only (immutable: SQLite takes no lock and reads no
 * journal) and read its schema version; an SQLite result code. */
static int
sq_open_ro(const char *path, bool immutable, sqlite3 **db, int *version)
{
	char *uri = sq_uri(path, immutable);
	int rc;

	rc = sqlite3_open_v2(
	    uri, db,
	    SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
	free(uri);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(*db, SQLITE_BUSY_MS);
		sqlite3_extended_result_codes(*db, 1);
		rc = sq_version(*db, version);
	}
	return rc;
}

/* Does path have a journal with something in it (PATH-wal)? */
static bool
sq_has_journal(const char *path)
{
	char *wal = xasprintf("%s-wal", path);
	struct stat sb;
	bool has = stat(wal, &sb) == 0 && sb.st_size > 0;

	free(wal);
	return has;
}

/*
 * Open the existing store at path read-only.  A store in WAL mode needs
 * its PATH-shm, which SQLite makes beside the file: in a read-only folder
 * without one, a store whose journal is empty (everything is in the file)
 * is opened immutable; one whose journal holds commits cannot be read
 * whole and is refused.  A file without write bits and without a journal
 * is opened immutable at once: nothing writes it, and a read-only
 * connection would leave a read-only PATH-shm behind that stops writers
 * once the file is made writable again.  An older schema is upgraded
 * first when the file can be written, else refused.
 */
static int
sq_open_read(const char *path, const struct stat *sb, sqlite3 **db, char *err,
             size_t errsz)
{
	int rc, version = -1;
	char why[STORE_ERROR_MAX];

	if ((sb->st_mode & 0222) == 0 && !sq_has_journal(path))
		rc = sq_open_ro(path, true, db, &version);
	else
		rc = sq_open_ro(path, false, db, &version);
	if (((rc & 0xff) == SQLITE_READONLY ||
	     (rc & 0xff) == SQLITE_CANTOPEN) &&
	    !sq_has_journal(path)) {
		sqlite3_close(*db);
		rc = sq_open_ro(path, true, db, &version);
	} else if ((rc & 0xff) == SQLITE_READONLY ||
	           (rc & 0xff) == SQLITE_CANTOPEN) {
		rc = mc_fail(MC_EROFS, err, errsz,
		             "store %s: its journal %s-wal holds commits that "
		             "cannot be read in a read-only folder without "
		             "%s-shm; open the store once with write access",
		             path, path, path);
		goto fail;
	}
	if (rc != SQLITE_OK) {
		rc = mc_fail(MC_EIO, err, errsz, "store %s: %s", path,
		             *db ? sqlite3_errmsg(*db) : "cannot open");
		goto fail;
	}
	if (version < 0) {
		rc = mc_fail(MC_ECONFIG, err, errsz,
		             "%s is not a mailcast store (no schema_version "
		             "table)",
		             path);
		goto fail;
	}
	if (version > STORE_SQLITE_SCHEMA) {
		rc = mc_fail(MC_ECONFIG, err, errsz,
		             "store %s has schema version %d, newer than this "
		             "mailcast knows (%d); upgrade mailcast",
		             path, version, STORE_SQLITE_SCHEMA);
		goto fail;
	}
	if (version < STORE_SQLITE_SCHEMA) {
		struct store *w;

		sqlite3_close(*db);
		*db = NULL;
		if (sq_writable(path, sb, why, sizeof(why)) < 0)
			return mc_fail(
			    MC_ECONFIG, err, errsz,
			    "store %s has schema version %d, older "
			    "than this mailcast's (%d), and cannot be "
			    "upgraded: %s",
			    path, version, STORE_SQLITE_SCHEMA, why);
		if ((rc = store_sqlite_open_mode(path, STORE_WRITE,
		                                 STORE_SCHEMA_LATEST, NULL, &w,
		                                 err, errsz)) < 0)
			return rc;
		store_close(w);
		return sq_open_read(path, sb, db, err, errsz);
	}
	sqlite3_exec(*db, "PRAGMA query_only = ON; PRAGMA foreign_keys = ON",
	             NULL, NULL, NULL);
	return 0;
fail:
	sqlite3_close(*db);
	*db = NULL;
	return rc;
}

/*
 * Make sure path can be opened for writing in mode: an existing store
 * must be writable; a missing one is MC_ENOTFOUND unless mode creates it
 * (0600: it holds subscribers' personal data and the token keys; SQLite
 * would use 0644 less the umask, and its -wal and -shm files take the
 * database file's mode).
 */
static int
sq_prepare_write(const char *path, enum store_mode mode, char *err,
                 size_t errsz)
{
	struct stat sb;
	char *dir;
	int fd, e;

	if (stat(path, &sb) == 0)
		return S_ISDIR(sb.st_mode)
		           ? mc_fail(MC_ECONFIG, err, errsz,
		                     "store %s is a directory, not a file",
		                     path)
		           : sq_writable(path, &sb, err, errsz);
	if (errno != ENOENT)
		return mc_fail(MC_EIO, err, errsz, "store %s: %s", path,
		               strerror(errno));
	if (mode != STORE_CREATE)
		return mc_fail(MC_ENOTFOUND, err, errsz, "no store at %s",
		               path);
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >=
	    0) {
		close(fd);
		return 0;
	}
	e = errno;
	dir = sq_dir(path);
	if (e == ENOENT || e == ENOTDIR)
		fd =
		    mc_fail(MC_ENOTFOUND, err, errsz,
		            "store %s cannot be made: no folder %s", path, dir);
	else if (e == EACCES || e == EPERM || e == EROFS)
		fd = mc_fail(MC_EROFS, err, errsz,
		             "store %s cannot be made: the folder %s is "
		             "read-only (%s)",
		             path, dir, strerror(e));
	else
		fd = mc_fail(MC_EIO, err, errsz, "store %s: %s", path,
		             strerror(e));
	free(dir);
	return fd;
}

/* The audit triggers on db; SQLITE_OK, or an error with *msg. */
static int
audit_setup(sqlite3 *db, char **msg)
{
	int rc = SQLITE_OK;

	for (size_t i = 0; rc == SQLITE_OK && i < sizeof(audit_triggers) /
	                                              sizeof(audit_triggers[0]);
	     i++)
		rc = sqlite3_exec(db, audit_triggers[i], NULL, NULL, msg);
	return rc;
}

/* mc_attr(attrs, name): an attribute's value as json_extract(attrs,
 * '$."name"') gives it (a string decoded, a number as one, true 1, false
 * 0, null and a missing key NULL, an object or array its text), read in
 * one pass (segment_attr_find); NULL when attrs is not a JSON object. */
static void
fn_attr(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	const char *attrs = (const char *)sqlite3_value_text(argv[0]);
	const char *name = (const char *)sqlite3_value_text(argv[1]);
	const char *v;
	size_t n;
	bool integral;

	(void)argc;
	if (attrs == NULL || name == NULL ||
	    segment_attr_find(attrs, (size_t)sqlite3_value_bytes(argv[0]), name,
	                      &v, &n) != 1)
		return; /* NULL */
	if (*v == '"') {
		if (memchr(v, '\\', n) == NULL) {
			sqlite3_result_text(cx, v + 1, (int)n - 2,
			                    SQLITE_TRANSIENT);
			return;
		}
		char *t = sqlite3_malloc((int)n);
		if (t == NULL) {
			sqlite3_result_error_nomem(cx);
			return;
		}
		n = segment_json_unescape(v + 1, n - 2, t);
		sqlite3_result_text(cx, t, (int)n, sqlite3_free);
	} else if (segment_json_number(v, n, &integral)) {
		char num[64];
		if (n >= sizeof(num)) {
			sqlite3_result_double(cx, HUGE_VAL);
			return;
		}
		memcpy(num, v, n);
		num[n] = '\0';
		/* CAST gives the integer, or a real when it does not fit */
		if (integral) {
			errno = 0;
			long long i = strtoll(num, NULL, 10);
			if (errno == 0) {
				sqlite3_result_int64(cx, i);
				return;
			}
		}
		sqlite3_result_double(cx, strtod(num, NULL));
	} else if (n == 4 && memcmp(v, "true", 4) == 0) {
		sqlite3_result_int(cx, 1);
	} else if (n == 5 && memcmp(v, "false", 5) == 0) {
		sqlite3_result_int(cx, 0);
	} else if (*v == '{' || *v == '[') {
		sqlite3_result_text(cx, v, (int)n, SQLITE_TRANSIENT);
	} /* null: NULL */
}

/* mc_num(x): x as a REAL when it is a number or text written as JSON
 * writes a number (blanks around allowed), else NULL. */
static void
fn_num(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	int t = sqlite3_value_type(argv[0]);
	const char *s;
	char num[64];
	size_t n;
	bool integral;

	(void)argc;
	if (t == SQLITE_INTEGER || t == SQLITE_FLOAT) {
		sqlite3_result_double(cx, sqlite3_value_double(argv[0]));
		return;
	}
	if (t != SQLITE_TEXT)
		return;
	s = (const char *)sqlite3_value_text(argv[0]);
	n = (size_t)sqlite3_value_bytes(argv[0]);
	if (s == NULL || !segment_json_number(s, n, &integral))
		return;
	if (n >= sizeof(num)) { /* digits past a double's: read a copy */
		char *c = sqlite3_malloc((int)n + 1);
		if (c == NULL) {
			sqlite3_result_error_nomem(cx);
			return;
		}
		memcpy(c, s, n);
		c[n] = '\0';
		sqlite3_result_double(cx, strtod(c, NULL));
		sqlite3_free(c);
		return;
	}
	memcpy(num, s, n);
	num[n] = '\0';
	sqlite3_result_double(cx, strtod(num, NULL));
}

/* mc_day(x): the first ten characters of x when they look like a date
 * (YYYY-MM-DD...), else NULL. */
static void
fn_day(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	const unsigned char *s = sqlite3_value_text(argv[0]);

	(void)argc;
	if (s == NULL || sqlite3_value_bytes(argv[0]) < 10)
		return;
	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-'
		                     : !(s[i] >= '0' && s[i] <= '9'))
			return;
	sqlite3_result_text(cx, (const char *)s, 10, SQLITE_TRANSIENT);
}

/* The segment functions (segment.h) on db; SQLITE_OK or an error. */
static int
segment_functions(sqlite3 *db)
{
	int f = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
	int rc = sqlite3_create_function(db, "mc_attr", 2, f, NULL, fn_attr,
	                                 NULL, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db, "mc_num", 1, f, NULL, fn_num,
		                             NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db, "mc_day", 1, f, NULL, fn_day,
		                             NULL, NULL);
	return rc;
}

/* This connection's audit functions and triggers, and the erase salt. */
static int
connection_setup(struct store_sqlite *q, bool readonly, char *err, size_t errsz)
{
	sqlite3_stmt *st = NULL;
	char *msg = NULL;
	int version;

	if (segment_functions(q->db) != SQLITE_OK) {
		snprintf(err, errsz, "store: %s", sqlite3_errmsg(q->db));
		return MC_EIO;
	}
	/* A store kept at an older schema (store_open_at(), the migration
	 * tests) has no audit tables: no triggers then. */
	if (sq_version(q->db, &version) != SQLITE_OK || version < 6)
		return 0;
	q->supp_versioned = version >= 20;
	/* A read-only connection changes nothing to audit (and may not
	 * make TEMP triggers under query_only). */
	if (!readonly &&
	    (sqlite3_create_function(q->db, "mc_audit_ctx", 0, SQLITE_UTF8, q,
	                             fn_audit_ctx, NULL, NULL) != SQLITE_OK ||
	     audit_setup(q->db, &msg) != SQLITE_OK)) {
		snprintf(err, errsz, "store: %s",
		         msg ? msg : sqlite3_errmsg(q->db));
		sqlite3_free(msg);
		return MC_EIO;
	}
	/* Always there after migration 6; a store opened without migrating
	 * (read-only) may lack it: erase entries then use an empty salt. */
	if (sqlite3_prepare_v2(q->db,
	                       "SELECT value FROM store_meta WHERE key = "
	                       "'erase_salt'",
	                       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		mc_strlcpy(q->salt, (const char *)sqlite3_column_text(st, 0),
		           sizeof(q->salt));
	sqlite3_finalize(st);
	return 0;
}

/* Open the SQLite store at path in mode, at schema version target. */
int
store_sqlite_open_mode(const char *path, enum store_mode mode, int target,
                       int *was, struct store **out, char *err, size_t errsz)
{
	struct store_sqlite *q;
	struct stat sb;
	sqlite3 *db = NULL;
	char *msg = NULL;
	bool mem;
	int rc;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return mc_fail(MC_ECONFIG, err, errsz,
		               "store sqlite: a file name is needed "
		               "(sqlite:PATH)");
	mem = strcmp(path, ":memory:") == 0;
	/* No allocation statistics (we never read them): saves a global
	 * mutex and two counters on every malloc.  Only possible before
	 * SQLite initialises; later calls fail harmlessly. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (mode == STORE_READ && !mem) {
		if (stat(path, &sb) < 0)
			return errno == ENOENT
			           ? mc_fail(MC_ENOTFOUND, err, errsz,
			                     "no store at %s", path)
			           : mc_fail(MC_EIO, err, errsz, "store %s: %s",
			                     path, strerror(errno));
		if (S_ISDIR(sb.st_mode))
			return mc_fail(MC_ECONFIG, err, errsz,
			               "store %s is a directory, not a file",
			               path);
		if (access(path, R_OK) < 0)
			return mc_fail(MC_EIO, err, errsz,
			               "store %s cannot be read (%s)", path,
			               strerror(errno));
		if ((rc = sq_open_read(path, &sb, &db, err, errsz)) < 0)
			return rc;
		if (was != NULL)
			*was = STORE_SQLITE_SCHEMA;
		goto done;
	}
	if (!mem && (rc = sq_prepare_write(path, mode, err, errsz)) < 0)
		return rc;
	/* the WAL's writes of a commit in one system call (sqlite_vfs.h) */
	if (sqlite3_open_v2(path, &db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                        SQLITE_OPEN_NOMUTEX,
	                    mem ? NULL : sqlite_gather_vfs()) != SQLITE_OK) {
		snprintf(err, errsz, "store %s: %s", path,
		         db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return MC_EIO;
	}
	/* SQLite falls back to read-only when it cannot write the file */
	if (sqlite3_db_readonly(db, "main") == 1) {
		sqlite3_close(db);
		return mc_fail(MC_EROFS, err, errsz,
		               "store %s is read-only for this process", path);
	}
	sqlite3_busy_timeout(db, SQLITE_BUSY_MS);
	sqlite3_extended_result_codes(db, 1);
	if (sqlite3_exec(db,
	                 "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	                 "PRAGMA foreign_keys = ON; PRAGMA cache_size = -8192;",
	                 NULL, NULL, &msg) != SQLITE_OK) {
		rc = (sqlite3_errcode(db) & 0xff) == SQLITE_READONLY ? MC_EROFS
		                                                     : MC_EIO;
		snprintf(err, errsz, "store %s: %s", path,
		         msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		sqlite3_close(db);
		return rc;
	}
	if ((rc = migrate(db, target, was, err, errsz)) < 0) {
		sqlite3_close(db);
		return rc;
	}
done:
	sqlite3_exec(db, "PRAGMA cache_size = -8192", NULL, NULL, NULL);
	q = xcalloc(1, sizeof(*q));
	q->base.ops = &sqlite_ops;
	q->db = db;
	if ((rc = connection_setup(q, mode == STORE_READ && !mem, err, errsz)) <
	    0) {
		sqlite3_close(db);
		free(q);
		return rc;
	}
	*out = &q->base;
	return 0;
}
