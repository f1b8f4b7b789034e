/*
 * track.c — the tracking routes of `mailcast serve` (app/track.h):
 * GET /c/TOKEN-IDX-MAC counts a click and answers 302 to the link the
 * store holds for the campaign (never a URL from the request);
 * GET /o/TOKEN-MAC.gif counts an open and answers a 1x1 GIF.  A forged
 * or tampered token is the one 404.
 */
#include <string.h>
#include <time.h>

#include "app/track.h"
#include "base/error.h"
#include "base/log.h"
#include "http/http.h"

/* A transparent 1x1 GIF. */
static const unsigned char pixel[] = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80,
    0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b};

/* GET /c/TOKEN-IDX-MAC: count, then 302 to the stored link. */
enum MHD_Result
route_click(struct http_call *hc)
{
	struct store *s;
	struct MHD_Response *r;
	char url[2048];
	int rc;

	if (*hc->rest == '\0' || strchr(hc->rest, '/') != NULL)
		return http_not_found(hc->c);
	if ((s = http_store()) == NULL)
		return http_answer_busy(hc->c);
	/* a HEAD (a link checker) is answered alike and not counted */
	rc = track_click(s, http_keys_acquire(), hc->rest, time(NULL),
	                 strcmp(hc->method, "HEAD") != 0, url, sizeof(url));
	http_keys_release();
	if (rc == MC_ENOTFOUND)
		return http_not_found(hc->c);
	if (rc < 0) {
		log_warn("serve: click: %s", mc_strerror(rc));
		return http_answer_busy(hc->c);
	}
	r = http_page("text/plain; charset=utf-8", "", 0);
	if (r != NULL)
		MHD_add_response_header(r, "Location", url);
	return http_answer(hc->c, 302, r);
}

/* GET /o/TOKEN-MAC.gif: count, then the pixel. */
enum MHD_Result
route_open(struct http_call *hc)
{
	struct store *s;
	int rc;

	if (*hc->rest == '\0' || strchr(hc->rest, '/') != NULL)
		return http_not_found(hc->c);
	if ((s = http_store()) == NULL)
		return http_answer_busy(hc->c);
	rc = track_open(s, http_keys_acquire(), hc->rest, time(NULL),
	                strcmp(hc->method, "HEAD") != 0);
	http_keys_release();
	if (rc == MC_ENOTFOUND)
		return http_not_found(hc->c);
	if (rc < 0) {
		log_warn("serve: open: %s", mc_strerror(rc));
		return http_answer_busy(hc->c);
	}
	return http_answer(
	    hc->c, 200,
	    http_page("image/gif", (const char *)pixel, sizeof(pixel)));
}
