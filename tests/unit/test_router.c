/* Route matching: literals, captures, trailing slashes, 404 versus 405. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "http/router.h"

static void h_a(struct http_request *r) { (void)r; }
static void h_b(struct http_request *r) { (void)r; }
static void h_c(struct http_request *r) { (void)r; }
static void h_d(struct http_request *r) { (void)r; }

static const struct http_route routes[] = {
	{ "GET", "/healthz", h_a },
	{ "GET", "/api/v1/orgs/{slug}/members/{id}", h_b },
	{ "PATCH", "/api/v1/orgs/{slug}/members/{id}", h_c },
	{ "POST", "/api/v1/orgs/{slug}/members", h_d },
	{ "GET", "/api/v1/orgs/{slug}/members/me", h_a }, /* shadowed by {id}: first wins */
};
#define N (sizeof(routes) / sizeof(routes[0]))

static char *param(const char *path, const struct route_match *m, size_t i)
{
	static char buf[128];
	memcpy(buf, path + m->params[i].off, m->params[i].len);
	buf[m->params[i].len] = '\0';
	return buf;
}

static void test_literal_route_matches(void **state)
{
	struct route_match m;
	assert_int_equal(http_route_match(routes, N, "GET", "/healthz", &m), 200);
	assert_ptr_equal(m.route, &routes[0]);
	assert_int_equal(m.nparams, 0);
}

static void test_captures_are_slices_of_the_path(void **state)
{
	struct route_match m;
	const char *p = "/api/v1/orgs/acme/members/42";
	assert_int_equal(http_route_match(routes, N, "GET", p, &m), 200);
	assert_ptr_equal(m.route->handler, h_b);
	assert_int_equal(m.nparams, 2);
	assert_string_equal(param(p, &m, 0), "acme");
	assert_string_equal(param(p, &m, 1), "42");
}

static void test_method_selects_among_same_pattern(void **state)
{
	struct route_match m;
	assert_int_equal(http_route_match(routes, N, "PATCH", "/api/v1/orgs/a/members/1", &m), 200);
	assert_ptr_equal(m.route->handler, h_c);
}

static void test_trailing_slash_is_ignored(void **state)
{
	struct route_match m;
	assert_int_equal(http_route_match(routes, N, "POST", "/api/v1/orgs/a/members/", &m), 200);
	assert_ptr_equal(m.route->handler, h_d);
}

static void test_unknown_path_is_404(void **state)
{
	struct route_match m;
	assert_int_equal(http_route_match(routes, N, "GET", "/nope", &m), 404);
	assert_int_equal(http_route_match(routes, N, "GET", "/api/v1/orgs/a/members/1/x", &m), 404);
	assert_int_equal(http_route_match(routes, N, "GET", "/api/v1/orgs//members/1", &m), 404);
	assert_int_equal(http_route_match(routes, N, "GET", "", &m), 404);
	assert_int_equal(http_route_match(routes, N, "GET", "healthz", &m), 404);
}

static void test_known_path_wrong_method_is_405_with_allow(void **state)
{
	struct route_match m;
	assert_int_equal(http_route_match(routes, N, "DELETE", "/api/v1/orgs/a/members/1", &m), 405);
	assert_string_equal(m.allow, "GET, PATCH");
}

static void test_head_is_answered_by_get_routes(void **state)
{
	struct route_match m;
	assert_int_equal(http_route_match(routes, N, "HEAD", "/healthz", &m), 200);
	assert_ptr_equal(m.route->handler, h_a);
}

static void test_first_matching_route_wins(void **state)
{
	struct route_match m;
	assert_int_equal(http_route_match(routes, N, "GET", "/api/v1/orgs/a/members/me", &m), 200);
	assert_ptr_equal(m.route->handler, h_b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal_route_matches),
		cmocka_unit_test(test_captures_are_slices_of_the_path),
		cmocka_unit_test(test_method_selects_among_same_pattern),
		cmocka_unit_test(test_trailing_slash_is_ignored),
		cmocka_unit_test(test_unknown_path_is_404),
		cmocka_unit_test(test_known_path_wrong_method_is_405_with_allow),
		cmocka_unit_test(test_head_is_answered_by_get_routes),
		cmocka_unit_test(test_first_matching_route_wins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
