/*
 * routes.c — the route table of `mailcast serve` (http.h): every path
 * the server answers, one line each; anything else is the one 404.
 */
#include "http/http.h"

const struct http_route http_routes[] = {
    {"/healthz", false, "GET, HEAD", route_health},
    {"/unsubscribe/", true, "GET, HEAD, POST", route_unsubscribe},
    {"/subscribe/", true, "POST", route_subscribe},
    {"/confirm/", true, "GET, HEAD, POST", route_confirm},
    /* the REST API answers its own 405s (JSON, per path) */
    {"/api/v1/", true, "GET, HEAD, POST, PUT, PATCH, DELETE", route_api},
    /* track.c */
    {"/c/", true, "GET, HEAD", route_click},
    {"/o/", true, "GET, HEAD", route_open},
    /* dash */
    {"/dash", false, "GET, HEAD", route_dash},
    {"/dash/", true, "GET, HEAD, POST", route_dash},
};

const size_t http_nroutes = sizeof(http_routes) / sizeof(http_routes[0]);
