/*
 * test_sdk_c.c -- the C SDK (libloomcrons) against a running Loom Crons:
 * LOOM_URL and LOOM_TOKEN (an admin token) name it; tests/e2e/test_sdk_c.py
 * starts a fresh system and runs this program.  Every report is read back
 * through the API with plain libcurl + jansson, not through the SDK.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>

#include "loomcrons.h"

static const char	*base_url;
static const char	*admin_token;

/* --- reading back through the API --------------------------------------- */

struct buf {
	char	*p;
	size_t	 n;
};

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	struct buf	*b = arg;

	b->p = realloc(b->p, b->n + size * n + 1);
	assert_non_null(b->p);
	memcpy(b->p + b->n, p, size * n);
	b->n += size * n;
	b->p[b->n] = '\0';
	return size * n;
}

/* method path [JSON body] with the admin token; the answer's JSON (status in *status). */
static json_t *
api(const char *method, const char *path, const char *body, long *status)
{
	CURL			*h = curl_easy_init();
	struct curl_slist	*hd = NULL;
	struct buf		 b = { NULL, 0 };
	char			 url[512], auth[256];
	json_t			*j;

	assert_non_null(h);
	snprintf(url, sizeof(url), "%s%s", base_url, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", admin_token);
	hd = curl_slist_append(hd, auth);
	hd = curl_slist_append(hd, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	j = b.n > 0 ? json_loadb(b.p, b.n, 0, NULL) : json_object();
	free(b.p);
	curl_slist_free_all(hd);
	curl_easy_cleanup(h);
	assert_non_null(j);
	return j;
}

static json_t *
api_get(const char *path)
{
	long	 status;
	json_t	*j = api("GET", path, NULL, &status);

	if (status != 200)
		fail_msg("GET %s: %ld", path, status);
	return j;
}

/* The check-ins of slug, newest first (the caller json_decrefs the result). */
static json_t *
checkins(const char *slug)
{
	char	 path[256];
	json_t	*j, *list;

	snprintf(path, sizeof(path), "/api/crons/monitors/%s/checkins", slug);
	j = api_get(path);
	list = json_incref(json_object_get(j, "checkins"));
	json_decref(j);
	assert_true(json_is_array(list));
	return list;
}

/* The monitor slug, as GET answers it (the caller json_decrefs the result). */
static json_t *
monitor(const char *slug)
{
	char	 path[256];
	json_t	*j, *m;

	snprintf(path, sizeof(path), "/api/crons/monitors/%s", slug);
	j = api_get(path);
	m = json_incref(json_object_get(j, "monitor"));
	json_decref(j);
	return m;
}

/* The status of GET /api/crons/monitors/{slug}: 200, or 404 when there is none. */
static long
monitor_status(const char *slug)
{
	char	 path[256];
	long	 status;

	snprintf(path, sizeof(path), "/api/crons/monitors/%s", slug);
	json_decref(api("GET", path, NULL, &status));
	return status;
}

static void
create_monitor(const char *slug, const char *extra)
{
	char	 body[512];
	long	 status;

	snprintf(body, sizeof(body), "{\"slug\":\"%s\",\"schedule\":{\"type\":\"cron\","
	    "\"expression\":\"0 * * * *\"}%s}", slug, extra);
	json_decref(api("POST", "/api/crons/monitors", body, &status));
	assert_int_equal(status, 201);
}

static const char *
str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (s == NULL)
		fail_msg("%s is not a string", key);
	return s;
}

static json_int_t
num(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v))
		fail_msg("%s is not an integer", key);
	return json_integer_value(v);
}

/* Fails with the error's details unless rc is LOOM_OK. */
#define assert_reported(rc, err) do {						\
	int rc_ = (rc);								\
	if (rc_ != LOOM_OK)							\
		fail_msg("%s: %d (HTTP %d %s %s: %s)", #rc, rc_, (err)->http_status,	\
		    (err)->code, (err)->field, (err)->message);			\
} while (0)

/* --- clients -------------------------------------------------------------- */

static struct loom_client *
client_with(const char *url, const char *key)
{
	struct loom_error	 err;
	struct loom_client	*c = loom_client_new(&(struct loom_config){ .base_url = url,
	    .api_key = key, .timeout_ms = 5000 }, &err);

	if (c == NULL)
		fail_msg("loom_client_new: %s", err.message);
	assert_int_equal(err.result, LOOM_OK);
	return c;
}

static struct loom_client *
client(void)
{
	return client_with(base_url, admin_token);
}

/* A URL where nothing listens: a port the kernel just gave us, closed again. */
static void
closed_url(char *out, size_t size)
{
	struct sockaddr_in	 sa = { .sin_family = AF_INET };
	socklen_t		 len = sizeof(sa);
	int			 fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	snprintf(out, size, "http://127.0.0.1:%d", ntohs(sa.sin_port));
}

static const struct loom_monitor_config hourly = { .schedule_cron = "0 * * * *" };

/* --- the tests ------------------------------------------------------------ */

static void
test_start_then_ok(void **state)
{
	struct loom_client	*c = client();
	struct loom_error	 err;
	char			 id[LOOM_ID_SIZE];
	json_t			*list, *ck;

	(void)state;
	assert_reported(loom_checkin_start(c, "c-ok", &(struct loom_checkin_opts){
	    .environment = "production", .monitor_config = &hourly }, id, &err), &err);
	assert_int_equal(strncmp(id, "chk_", 4), 0);
	list = checkins("c-ok");
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(str(json_array_get(list, 0), "status"), "in_progress");
	json_decref(list);

	assert_reported(loom_checkin_ok(c, id, &(struct loom_checkin_opts){
	    .has_duration = true, .duration_ms = 1234, .has_exit_code = true, .exit_code = 0,
	    .output = "all good\n", .output_len = 9 }, &err), &err);
	assert_int_equal(err.result, LOOM_OK);
	assert_int_equal(err.http_status, 0);
	list = checkins("c-ok");
	assert_int_equal(json_array_size(list), 1);
	ck = json_array_get(list, 0);
	assert_string_equal(str(ck, "id"), id);
	assert_string_equal(str(ck, "status"), "ok");
	assert_string_equal(str(ck, "source"), "sdk");
	assert_string_equal(str(ck, "environment"), "production");
	assert_string_equal(str(ck, "output"), "all good\n");
	assert_int_equal(num(ck, "duration_ms"), 1234);
	assert_int_equal(num(ck, "exit_code"), 0);
	json_decref(list);
	loom_client_destroy(&c);
	assert_null(c);
	loom_client_destroy(&c);	/* idempotent */
}

static void
test_start_then_error_with_exit_code_and_crash_id(void **state)
{
	struct loom_client	*c = client();
	struct loom_error	 err;
	char			 id[LOOM_ID_SIZE];
	static const char	 out[] = "bad \xff byte";	/* not UTF-8: sent as U+FFFD */
	json_t			*list, *ck;

	(void)state;
	assert_reported(loom_checkin_start(c, "c-err", &(struct loom_checkin_opts){
	    .monitor_config = &hourly }, id, &err), &err);
	assert_int_equal(loom_checkin_error(c, id, &(struct loom_checkin_opts){
	    .has_exit_code = true, .exit_code = 3, .crash_event_id = "evt-42",
	    .output = out, .output_len = sizeof(out) - 1, .output_truncated = true }, &err),
	    LOOM_OK);
	list = checkins("c-err");
	assert_int_equal(json_array_size(list), 1);
	ck = json_array_get(list, 0);
	assert_string_equal(str(ck, "id"), id);
	assert_string_equal(str(ck, "status"), "error");
	assert_int_equal(num(ck, "exit_code"), 3);
	assert_string_equal(str(ck, "crash_event_id"), "evt-42");
	assert_string_equal(str(ck, "output"), "bad \xef\xbf\xbd byte");
	assert_true(json_is_true(json_object_get(ck, "output_truncated")));
	assert_true(num(ck, "duration_ms") >= 0);	/* measured by the server */
	json_decref(list);
	/* A finished run cannot be finished again: a 400 naming the field. */
	assert_int_equal(loom_checkin_ok(c, id, NULL, &err), LOOM_EHTTP);
	assert_int_equal(err.http_status, 400);
	assert_string_equal(err.field, "status");
	loom_client_destroy(&c);
}

static int
job_ok(void *arg)
{
	struct timespec	 ts = { 0, 60 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	*(int *)arg += 1;
	return 0;
}

static int
job_fails(void *arg)
{
	*(int *)arg += 1;
	return 7;
}

static void
test_with_monitor(void **state)
{
	struct loom_client	*c = client();
	struct loom_error	 err;
	int			 calls = 0;
	json_t			*list, *ck;

	(void)state;
	assert_int_equal(loom_with_monitor(c, "c-wrapped", job_ok, &calls,
	    &(struct loom_checkin_opts){ .monitor_config = &hourly }, &err), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(err.result, LOOM_OK);
	list = checkins("c-wrapped");
	assert_int_equal(json_array_size(list), 1);
	ck = json_array_get(list, 0);
	assert_string_equal(str(ck, "status"), "ok");
	assert_true(num(ck, "duration_ms") >= 60);
	assert_int_equal(num(ck, "exit_code"), 0);
	assert_int_equal(strlen(str(ck, "run_id")), 36);	/* a fresh run id paired it */
	json_decref(list);

	assert_int_equal(loom_with_monitor(c, "c-wrapped", job_fails, &calls, NULL, &err), 7);
	assert_int_equal(calls, 2);
	assert_int_equal(err.result, LOOM_OK);
	list = checkins("c-wrapped");
	assert_int_equal(json_array_size(list), 2);
	ck = json_array_get(list, 0);
	assert_string_equal(str(ck, "status"), "error");
	assert_int_equal(num(ck, "exit_code"), 7);
	json_decref(list);
	/* err may be NULL. */
	assert_int_equal(loom_with_monitor(c, "c-wrapped", job_fails, &calls, NULL, NULL), 7);
	loom_client_destroy(&c);
}

static void
test_monitor_config_upsert(void **state)
{
	struct loom_client		*c = client();
	struct loom_error		 err;
	char				 id[LOOM_ID_SIZE];
	struct loom_monitor_config	 cfg = { .schedule_cron = "0 3 * * *",
	    .timezone = "Europe/Berlin", .name = "Nightly backup", .checkin_margin_minutes = 7,
	    .max_runtime_minutes = 30, .failure_issue_threshold = 2, .recovery_threshold = 3 };
	struct loom_monitor_config	 every2h = { .interval = 2, .interval_unit = "hour",
	    .checkin_margin_minutes = 9 };
	json_t				*m, *s, *list;

	(void)state;
	assert_reported(loom_checkin_start(c, "c-config", &(struct loom_checkin_opts){
	    .monitor_config = &cfg }, id, &err), &err);
	m = monitor("c-config");
	s = json_object_get(m, "schedule");
	assert_string_equal(str(s, "type"), "cron");
	assert_string_equal(str(s, "expression"), "0 3 * * *");
	assert_string_equal(str(m, "timezone"), "Europe/Berlin");
	assert_string_equal(str(m, "name"), "Nightly backup");
	assert_int_equal(num(m, "checkin_margin_minutes"), 7);
	assert_int_equal(num(m, "max_runtime_minutes"), 30);
	assert_int_equal(num(m, "failure_issue_threshold"), 2);
	assert_int_equal(num(m, "recovery_threshold"), 3);
	json_decref(m);

	/* An update: what is not set stays as it was. */
	assert_reported(loom_checkin_record(c, "c-config", LOOM_CHECKIN_OK,
	    &(struct loom_checkin_opts){ .monitor_config = &every2h, .has_duration = true,
	    .duration_ms = 5 }, NULL, &err), &err);
	m = monitor("c-config");
	s = json_object_get(m, "schedule");
	assert_string_equal(str(s, "type"), "interval");
	assert_int_equal(num(s, "minutes"), 120);
	assert_int_equal(num(m, "checkin_margin_minutes"), 9);
	assert_string_equal(str(m, "timezone"), "Europe/Berlin");
	assert_int_equal(num(m, "max_runtime_minutes"), 30);
	json_decref(m);
	/* A finished check-in completes the open run. */
	list = checkins("c-config");
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(str(json_array_get(list, 0), "id"), id);
	assert_string_equal(str(json_array_get(list, 0), "status"), "ok");
	assert_int_equal(num(json_array_get(list, 0), "duration_ms"), 5);
	json_decref(list);
	loom_client_destroy(&c);
}

static void
test_bad_token_is_an_error_with_its_code(void **state)
{
	struct loom_client	*c = client_with(base_url, "loom_not_a_real_token");
	struct loom_error	 err;
	char			 id[LOOM_ID_SIZE] = "x";
	int			 calls = 0;

	(void)state;
	assert_int_equal(loom_checkin_start(c, "c-auth", &(struct loom_checkin_opts){
	    .monitor_config = &hourly }, id, &err), LOOM_EHTTP);
	assert_int_equal(err.result, LOOM_EHTTP);
	assert_int_equal(err.http_status, 401);
	assert_string_equal(err.code, "unauthorized");
	assert_string_equal(err.field, "Authorization");
	assert_true(strlen(err.message) > 0);
	assert_false(loom_error_retryable(&err));
	assert_string_equal(id, "");
	/* The job runs all the same and its result is unchanged. */
	assert_int_equal(loom_with_monitor(c, "c-auth", job_fails, &calls, NULL, &err), 7);
	assert_int_equal(calls, 1);
	assert_int_equal(err.http_status, 401);
	loom_client_destroy(&c);
	assert_int_equal(monitor_status("c-auth"), 404);
}

static void
test_server_down_is_a_network_error(void **state)
{
	struct loom_client	*c;
	struct loom_error	 err;
	char			 url[64], id[LOOM_ID_SIZE];
	int			 calls = 0;

	(void)state;
	closed_url(url, sizeof(url));
	c = client_with(url, admin_token);
	assert_int_equal(loom_checkin_start(c, "c-down", NULL, id, &err), LOOM_ENETWORK);
	assert_int_equal(err.result, LOOM_ENETWORK);
	assert_int_equal(err.http_status, 0);
	assert_string_equal(err.code, "");
	assert_true(strlen(err.message) > 0);
	assert_true(loom_error_retryable(&err));
	assert_int_equal(loom_checkin_ok(c, "chk_whatever", NULL, &err), LOOM_ENETWORK);
	assert_int_equal(loom_ping(c, "0b7c1a64-3c9e-4d4e-9a57-5f1d2c3b4a59", LOOM_PING_START,
	    NULL, &err), LOOM_ENETWORK);
	assert_int_equal(loom_with_monitor(c, "c-down", job_ok, &calls, NULL, &err), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(err.result, LOOM_ENETWORK);
	loom_client_destroy(&c);
}

static void
test_validation_errors_name_the_field(void **state)
{
	struct loom_client		*c = client();
	struct loom_error		 err;
	char				 id[LOOM_ID_SIZE];
	struct loom_monitor_config	 bad = { .schedule_cron = "61 * * * *" };

	(void)state;
	assert_int_equal(loom_checkin_start(c, "c-invalid", &(struct loom_checkin_opts){
	    .monitor_config = &bad }, id, &err), LOOM_EHTTP);
	assert_int_equal(err.http_status, 400);
	assert_string_equal(err.code, "invalid_field");
	assert_string_equal(err.field, "schedule");
	assert_non_null(strstr(err.message, "minute"));
	assert_int_equal(monitor_status("c-invalid"), 404);

	assert_int_equal(loom_checkin_record(c, "c-ok2", LOOM_CHECKIN_OK,
	    &(struct loom_checkin_opts){ .monitor_config = &hourly, .has_exit_code = true,
	    .exit_code = 300 }, NULL, &err), LOOM_EHTTP);
	assert_int_equal(err.http_status, 400);
	assert_string_equal(err.field, "exit_code");
	assert_int_equal(loom_checkin_start(c, "c-env", &(struct loom_checkin_opts){
	    .monitor_config = &hourly, .environment = "not valid" }, id, &err), LOOM_EHTTP);
	assert_string_equal(err.field, "environment");
	/* An unknown slug without a monitor_config. */
	assert_int_equal(loom_checkin_start(c, "c-nowhere", NULL, id, &err), LOOM_EHTTP);
	assert_int_equal(err.http_status, 404);
	assert_string_equal(err.code, "not_found");
	loom_client_destroy(&c);
}

static void
test_pings(void **state)
{
	struct loom_client	*c = client_with(base_url, NULL);
	struct loom_error	 err;
	char			 rid[LOOM_RUN_ID_SIZE], key[64];
	json_t			*m, *list, *ck;

	(void)state;
	create_monitor("c-ping", "");
	m = monitor("c-ping");
	snprintf(key, sizeof(key), "%s", str(m, "ping_key"));
	json_decref(m);
	assert_int_equal(loom_run_id_new(rid), LOOM_OK);
	assert_int_equal(strlen(rid), 36);
	assert_int_equal(rid[14], '4');
	assert_reported(loom_ping(c, key, LOOM_PING_START, &(struct loom_ping_opts){
	    .run_id = rid, .environment = "staging" }, &err), &err);
	assert_reported(loom_ping_exit(c, key, 0, &(struct loom_ping_opts){ .run_id = rid,
	    .environment = "staging", .body = "the end", .body_len = 7, .body_truncated = true },
	    &err), &err);
	list = checkins("c-ping");
	assert_int_equal(json_array_size(list), 1);
	ck = json_array_get(list, 0);
	assert_string_equal(str(ck, "status"), "ok");
	assert_string_equal(str(ck, "source"), "ping");
	assert_string_equal(str(ck, "run_id"), rid);
	assert_string_equal(str(ck, "environment"), "staging");
	assert_string_equal(str(ck, "output"), "the end");
	assert_true(json_is_true(json_object_get(ck, "output_truncated")));
	json_decref(list);

	assert_reported(loom_ping(c, key, LOOM_PING_FAIL, NULL, &err), &err);
	assert_reported(loom_ping_exit(c, key, 4, NULL, &err), &err);
	list = checkins("c-ping");
	assert_int_equal(json_array_size(list), 3);
	assert_int_equal(num(json_array_get(list, 0), "exit_code"), 4);
	assert_string_equal(str(json_array_get(list, 1), "status"), "error");
	json_decref(list);

	/* An unknown key: a 404 with the server's plain-text message. */
	assert_int_equal(loom_ping(c, "0b7c1a64-3c9e-4d4e-9a57-5f1d2c3b4a59", LOOM_PING_SUCCESS,
	    NULL, &err), LOOM_EHTTP);
	assert_int_equal(err.http_status, 404);
	assert_string_equal(err.message, "not found");
	assert_int_equal(loom_ping_exit(c, key, 256, NULL, &err), LOOM_EINVAL);
	loom_client_destroy(&c);
}

static void
test_disabled_monitor_records_nothing(void **state)
{
	struct loom_client	*c = client();
	struct loom_error	 err;
	char			 id[LOOM_ID_SIZE] = "x";
	json_t			*list;

	(void)state;
	create_monitor("c-off", ",\"status\":\"disabled\"");
	assert_reported(loom_checkin_start(c, "c-off", NULL, id, &err), &err);
	assert_string_equal(id, "");
	assert_reported(loom_checkin_ok(c, id, NULL, &err), &err);
	list = checkins("c-off");
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	loom_client_destroy(&c);
}

static void
test_repeated_start_with_a_run_id_is_one_run(void **state)
{
	struct loom_client	*c = client();
	struct loom_error	 err;
	char			 rid[LOOM_RUN_ID_SIZE], a[LOOM_ID_SIZE], b[LOOM_ID_SIZE];
	json_t			*list;

	(void)state;
	assert_int_equal(loom_run_id_new(rid), LOOM_OK);
	struct loom_checkin_opts o = { .run_id = rid, .monitor_config = &hourly };
	assert_reported(loom_checkin_start(c, "c-retry", &o, a, &err), &err);
	assert_reported(loom_checkin_start(c, "c-retry", &o, b, &err), &err);
	assert_string_equal(a, b);
	list = checkins("c-retry");
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	loom_client_destroy(&c);
}

static void
test_bad_arguments_send_nothing(void **state)
{
	struct loom_client	*c = client();
	struct loom_error	 err;
	char			 id[LOOM_ID_SIZE];

	(void)state;
	assert_null(loom_client_new(&(struct loom_config){ .base_url = "ftp://example.com" },
	    &err));
	assert_int_equal(err.result, LOOM_EINVAL);
	assert_null(loom_client_new(&(struct loom_config){ .base_url = base_url,
	    .timeout_ms = -1 }, NULL));
	assert_int_equal(loom_checkin_start(NULL, "x", NULL, id, &err), LOOM_EINVAL);
	assert_int_equal(loom_checkin_start(c, "", NULL, id, &err), LOOM_EINVAL);
	assert_int_equal(loom_checkin_start(c, "x", NULL, NULL, &err), LOOM_EINVAL);
	assert_int_equal(loom_checkin_ok(c, NULL, NULL, &err), LOOM_EINVAL);
	assert_int_equal(loom_checkin_record(c, "x", (enum loom_checkin_status)9, NULL, NULL,
	    &err), LOOM_EINVAL);
	assert_int_equal(loom_ping(c, "k", (enum loom_ping_kind)9, NULL, &err), LOOM_EINVAL);
	assert_int_equal(loom_with_monitor(c, "x", NULL, NULL, NULL, &err), -1);
	assert_int_equal(err.result, LOOM_EINVAL);
	assert_int_equal(loom_run_id_new(NULL), LOOM_EINVAL);
	assert_string_equal(loom_strerror(LOOM_ENETWORK), "network error");
	assert_string_equal(loom_strerror(12345), "unknown error");
	assert_false(loom_error_retryable(NULL));
	/* A slug is a path segment: escaped, never a way to another path. */
	assert_int_equal(loom_checkin_start(c, "../../monitors", NULL, id, &err), LOOM_EHTTP);
	assert_int_equal(err.http_status, 404);
	loom_client_destroy(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_then_ok),
		cmocka_unit_test(test_start_then_error_with_exit_code_and_crash_id),
		cmocka_unit_test(test_with_monitor),
		cmocka_unit_test(test_monitor_config_upsert),
		cmocka_unit_test(test_bad_token_is_an_error_with_its_code),
		cmocka_unit_test(test_server_down_is_a_network_error),
		cmocka_unit_test(test_validation_errors_name_the_field),
		cmocka_unit_test(test_pings),
		cmocka_unit_test(test_disabled_monitor_records_nothing),
		cmocka_unit_test(test_repeated_start_with_a_run_id_is_one_run),
		cmocka_unit_test(test_bad_arguments_send_nothing),
	};

	base_url = getenv("LOOM_URL");
	admin_token = getenv("LOOM_TOKEN");
	if (base_url == NULL || admin_token == NULL) {
		fprintf(stderr, "test_sdk_c: set LOOM_URL and LOOM_TOKEN (an admin token) of a "
		    "running Loom Crons; tests/e2e/test_sdk_c.py does\n");
		return 2;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
