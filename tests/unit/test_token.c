/*
 * test_token.c — the VERP / unsubscribe token: round trip, size, tampering,
 * key files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/error.h"
#include "bounce/token.h"
#include "msg/address.h"

static struct token_key key;

static int
setup(void **state)
{
	unsigned char k[32];

	(void)state;
	for (size_t i = 0; i < sizeof(k); i++)
		k[i] = (unsigned char)(i * 7 + 1);
	return token_key_set(&key, k, sizeof(k));
}

static void
test_roundtrip(void **state)
{
	static const uint64_t ids[] = {
	    0,         1,       255,         256,
	    65535,     1000000, 0xffffffffu, 0x123456789abcULL,
	    UINT64_MAX};
	char tok[TOKEN_MAX + 1];
	uint64_t c, r;

	(void)state;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		for (size_t j = 0; j < sizeof(ids) / sizeof(ids[0]); j++) {
			assert_int_equal(token_encode(&key, ids[i], ids[j], tok,
			                              sizeof(tok)),
			                 0);
			assert_true(strlen(tok) <= TOKEN_MAX);
			assert_true(strlen(tok) < 56);
			for (const char *p = tok; *p; p++)
				assert_non_null(strchr(
				    "abcdefghijklmnopqrstuvwxyz234567", *p));
			assert_int_equal(
			    token_decode(&key, tok, strlen(tok), &c, &r), 0);
			assert_int_equal(c, ids[i]);
			assert_int_equal(r, ids[j]);
		}
	}
}

static void
test_fits_local_part(void **state)
{
	char tok[TOKEN_MAX + 1], s[200], err[128];
	struct addr a;

	(void)state;
	assert_int_equal(
	    token_encode(&key, UINT64_MAX, UINT64_MAX, tok, sizeof(tok)), 0);
	assert_int_equal(strlen(tok), TOKEN_MAX);
	snprintf(s, sizeof(s), "bounces+%s@example.org", tok);
	assert_int_equal(addr_parse(s, strlen(s), &a, err, sizeof(err)), 0);
	assert_true(strlen(a.local) <= ADDR_LOCAL_MAX);
	/* Small ids give short tokens. */
	assert_int_equal(token_encode(&key, 7, 12345, tok, sizeof(tok)), 0);
	assert_true(strlen(tok) <= 26);
}

static void
test_tampered(void **state)
{
	char tok[TOKEN_MAX + 1], t2[TOKEN_MAX + 8];
	uint64_t c, r;
	struct token_key other;
	unsigned char k2[32];

	(void)state;
	assert_int_equal(token_encode(&key, 42, 1234567, tok, sizeof(tok)), 0);
	/* Upper case (an MTA folding the local part) still decodes. */
	for (size_t i = 0; tok[i]; i++)
		t2[i] = (char)(tok[i] >= 'a' ? tok[i] - 32 : tok[i]);
	t2[strlen(tok)] = '\0';
	assert_int_equal(token_decode(&key, t2, strlen(t2), &c, &r), 0);
	assert_int_equal(r, 1234567);
	/* Every single-character change is rejected. */
	for (size_t i = 0; tok[i]; i++) {
		strcpy(t2, tok);
		t2[i] = t2[i] == 'a' ? 'b' : 'a';
		assert_int_equal(token_decode(&key, t2, strlen(t2), &c, &r),
		                 MC_EDATA);
	}
	/* Truncated, extended, junk. */
	assert_int_equal(token_decode(&key, tok, strlen(tok) - 1, &c, &r),
	                 MC_EDATA);
	snprintf(t2, sizeof(t2), "%sa", tok);
	assert_int_equal(token_decode(&key, t2, strlen(t2), &c, &r), MC_EDATA);
	assert_int_equal(token_decode(&key, "0189!", 5, &c, &r), MC_EDATA);
	assert_int_equal(token_decode(&key, "", 0, &c, &r), MC_EDATA);
	/* Another key rejects it. */
	memset(k2, 0x55, sizeof(k2));
	assert_int_equal(token_key_set(&other, k2, sizeof(k2)), 0);
	assert_int_equal(token_decode(&other, tok, strlen(tok), &c, &r),
	                 MC_EDATA);
}

static void
test_key_file(void **state)
{
	char path[] = "/tmp/mc_test_tokenXXXXXX", err[256];
	struct token_key k;
	int fd;
	FILE *fp;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	/* Hex, with a newline, as `openssl rand -hex 32` writes it. */
	fp = fopen(path, "w");
	fprintf(fp, "000102030405060708090a0b0c0d0e0f"
	            "101112131415161718191a1b1c1d1e1f\n");
	fclose(fp);
	assert_int_equal(token_key_load(&k, path, err, sizeof(err)), 0);
	assert_int_equal(k.len, 32);
	assert_int_equal(k.key[31], 0x1f);
	/* Too short. */
	fp = fopen(path, "w");
	fprintf(fp, "0011223344\n");
	fclose(fp);
	assert_int_equal(token_key_load(&k, path, err, sizeof(err)),
	                 MC_ECONFIG);
	assert_non_null(strstr(err, "openssl rand -hex 32"));
	/* Raw bytes. */
	fp = fopen(path, "wb");
	for (int i = 0; i < 40; i++)
		fputc(0xf0 ^ i, fp);
	fclose(fp);
	assert_int_equal(token_key_load(&k, path, err, sizeof(err)), 0);
	assert_int_equal(k.len, 40);
	unlink(path);
	assert_int_equal(token_key_load(&k, path, err, sizeof(err)), MC_EIO);
	assert_non_null(strstr(err, path));
	/* A directory says so. */
	assert_int_equal(token_key_load(&k, "/tmp", err, sizeof(err)),
	                 MC_ECONFIG);
	assert_string_equal(err,
	                    "token key /tmp is a directory, not a key file");
}

/* A key's hex form round-trips; a ring verifies with each key. */
static void
test_ring(void **state)
{
	struct token_keyring ring;
	struct token_key a, b, back;
	char hex[TOKEN_HEX_MAX + 1], tok[TOKEN_MAX + 1];
	uint64_t c, r;
	int64_t kid;

	(void)state;
	assert_int_equal(token_key_generate(&a), 0);
	assert_int_equal(token_key_generate(&b), 0);
	assert_true(memcmp(a.key, b.key, a.len) != 0);
	token_key_hex(&a, hex, sizeof(hex));
	assert_int_equal(strlen(hex), 2 * TOKEN_KEY_MIN);
	assert_int_equal(token_key_from_hex(&back, hex), 0);
	assert_memory_equal(back.key, a.key, a.len);
	assert_int_equal(token_key_from_hex(&back, "abcd"), MC_EDATA);
	hex[0] = 'g';
	assert_int_equal(token_key_from_hex(&back, hex), MC_EDATA);
	memset(&ring, 0, sizeof(ring));
	assert_int_equal(token_keyring_add(&ring, &b, 2), 0);
	assert_int_equal(token_keyring_add(&ring, &a, 1), 0);
	assert_int_equal(token_encode(&a, 5, 6, tok, sizeof(tok)), 0);
	assert_int_equal(
	    token_keyring_decode(&ring, tok, strlen(tok), &c, &r, &kid), 0);
	assert_true(c == 5 && r == 6 && kid == 1);
	ring.n = 1; /* without a: no key verifies it */
	assert_int_equal(
	    token_keyring_decode(&ring, tok, strlen(tok), &c, &r, &kid),
	    MC_EDATA);
	token_keyring_wipe(&ring);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_fits_local_part),
	    cmocka_unit_test(test_tampered),
	    cmocka_unit_test(test_key_file),
	    cmocka_unit_test(test_ring),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
