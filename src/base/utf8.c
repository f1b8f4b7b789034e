/*
 * utf8.c — see utf8.h.
 */
#include <string.h>

#include "base/utf8.h"

/* Decode one sequence; see utf8.h. */
size_t
utf8_decode(const void *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = str;
	uint32_t v, min;
	size_t len;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		if (cp)
			*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, v = s[0] & 0x1f, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, v = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, v = s[0] & 0x07, min = 0x10000;
	else
		return 0; /* a continuation byte, C0/C1 (overlong), F5-FF */
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return 0;
	if (cp)
		*cp = v;
	return len;
}

/* Validate a buffer; see utf8.h. */
size_t
utf8_check(const void *str, size_t n)
{
	const unsigned char *s = str;
	size_t i = 0;

	while (i < n) {
		uint64_t w;
		size_t k;

		/* ASCII eight bytes at a time: most text is ASCII. */
		while (n - i >= 8) {
			memcpy(&w, s + i, 8);
			if ((w & 0x8080808080808080ULL) != 0)
				break;
			i += 8;
		}
		if (i == n)
			break;
		if ((k = utf8_decode(s + i, n - i, NULL)) == 0)
			return i;
		i += k;
	}
	return n;
}

/*
 * The width table: ranges of scalar values, first and last included,
 * sorted.  Zero width: combining marks and invisible formatting.
 */
struct range {
	uint32_t first, last;
};

static const struct range zero_width[] = {
    {0x0300, 0x036f},   /* Combining Diacritical Marks */
    {0x0483, 0x0489},   /* Cyrillic combining marks */
    {0x0591, 0x05bd},   /* Hebrew points */
    {0x0610, 0x061a},   /* Arabic marks */
    {0x064b, 0x065f},   /* Arabic harakat */
    {0x0e31, 0x0e31},   /* Thai vowel sign */
    {0x0e34, 0x0e3a},   /* Thai vowel signs */
    {0x0e47, 0x0e4e},   /* Thai tone marks */
    {0x1ab0, 0x1aff},   /* Combining Diacritical Marks Extended */
    {0x1dc0, 0x1dff},   /* Combining Diacritical Marks Supplement */
    {0x200b, 0x200f},   /* zero width space, joiners, direction marks */
    {0x2028, 0x202e},   /* separators and embedding controls */
    {0x2060, 0x2064},   /* word joiner, invisible operators */
    {0x20d0, 0x20ff},   /* Combining Marks for Symbols */
    {0xfe00, 0xfe0f},   /* variation selectors */
    {0xfe20, 0xfe2f},   /* Combining Half Marks */
    {0xfeff, 0xfeff},   /* byte order mark */
    {0xe0100, 0xe01ef}, /* variation selectors supplement */
};

/* East Asian Wide and Fullwidth: two columns. */
static const struct range wide[] = {
    {0x1100, 0x115f},   /* Hangul Jamo leading consonants */
    {0x2e80, 0x303e},   /* CJK radicals, symbols and punctuation */
    {0x3041, 0x33ff},   /* kana, bopomofo, CJK compatibility */
    {0x3400, 0x4dbf},   /* CJK Unified Ideographs Extension A */
    {0x4e00, 0x9fff},   /* CJK Unified Ideographs */
    {0xa000, 0xa4cf},   /* Yi */
    {0xac00, 0xd7a3},   /* Hangul syllables */
    {0xf900, 0xfaff},   /* CJK Compatibility Ideographs */
    {0xfe30, 0xfe4f},   /* CJK Compatibility Forms */
    {0xff00, 0xff60},   /* fullwidth forms */
    {0xffe0, 0xffe6},   /* fullwidth signs */
    {0x1f300, 0x1f64f}, /* pictographs, emoticons */
    {0x1f900, 0x1f9ff}, /* Supplemental Symbols and Pictographs */
    {0x20000, 0x2fffd}, /* CJK Extensions B-F */
    {0x30000, 0x3fffd}, /* CJK Extension G */
};

/* Is cp in one of the n sorted ranges of t?  (Binary search.) */
static int
in_ranges(uint32_t cp, const struct range *t, size_t n)
{
	size_t lo = 0, hi = n;

	if (cp < t[0].first || cp > t[n - 1].last)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cp > t[mid].last)
			lo = mid + 1;
		else if (cp < t[mid].first)
			hi = mid;
		else
			return 1;
	}
	return 0;
}

/* Columns for one scalar value. */
int
utf8_cp_width(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return 0;
	if (cp < 0x300)
		return 1;
	if (in_ranges(cp, zero_width, sizeof(zero_width) / sizeof(*zero_width)))
		return 0;
	if (in_ranges(cp, wide, sizeof(wide) / sizeof(*wide)))
		return 2;
	return 1;
}

/* Columns for a string. */
size_t
utf8_width(const void *str, size_t n)
{
	const unsigned char *s = str;
	size_t cols = 0;

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = utf8_decode(s + i, n - i, &cp);
		if (k == 0) {
			cp = UTF8_REPLACEMENT;
			k = 1;
		}
		cols += (size_t)utf8_cp_width(cp);
		i += k;
	}
	return cols;
}
