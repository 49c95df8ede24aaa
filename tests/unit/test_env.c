/*
 * test_env.c -- LOOM_* variables from declarative tables (common/lib/env.c):
 * every type with its accepted and refused forms, defaults, messages that
 * name the variable, every bad variable reported, and env_print (which
 * never shows a secret).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "env.h"
#include "testlib.h"

#define NUM(t)	((t) == ENV_T_UINT || (t) == ENV_T_SIZE || (t) == ENV_T_MS)

/* One value checked as one type: accepted with its parsed number, or refused with why. */
static const struct {
	enum env_type	 type;
	uint64_t	 min, max;
	const char	*value;
	bool		 ok;
	uint64_t	 n;		/* numeric types, when ok */
	const char	*why;		/* when refused */
} values[] = {
	/* text */
	{ ENV_T_STR, 0, 0, "hello", true, 0, NULL },
	{ ENV_T_STR, 0, 0, "", false, 0, "must not be empty" },
	{ ENV_T_SECRET, 0, 0, "loom_abc", true, 0, NULL },
	{ ENV_T_SECRET, 0, 0, "", false, 0, "must not be empty" },
	{ ENV_T_PATH, 0, 0, "/var/lib/loom", true, 0, NULL },
	{ ENV_T_PATH, 0, 0, "./var/data", true, 0, NULL },
	{ ENV_T_PATH, 0, 0, "", false, 0, "must not be empty" },

	/* host:port */
	{ ENV_T_ADDR, 0, 0, "127.0.0.1:8080", true, 0, NULL },
	{ ENV_T_ADDR, 0, 0, "localhost:1", true, 0, NULL },
	{ ENV_T_ADDR, 0, 0, "[::1]:8080", true, 0, NULL },
	{ ENV_T_ADDR, 0, 0, "[2001:db8::7]:65535", true, 0, NULL },
	{ ENV_T_ADDR, 0, 0, "127.0.0.1", false, 0, "\"127.0.0.1\" is not host:port" },
	{ ENV_T_ADDR, 0, 0, "::1:8080", false, 0, "\"::1:8080\" is not host:port" },
	{ ENV_T_ADDR, 0, 0, "[::1]8080", false, 0, "\"[::1]8080\" is not host:port" },
	{ ENV_T_ADDR, 0, 0, "[::1:8080", false, 0, "\"[::1:8080\" is not host:port" },
	{ ENV_T_ADDR, 0, 0, "[]:80", false, 0, "\"[]:80\" is not host:port" },
	{ ENV_T_ADDR, 0, 0, ":8080", false, 0, "\":8080\" is not host:port" },
	{ ENV_T_ADDR, 0, 0, "host:", false, 0, "\"host:\" is not host:port" },
	{ ENV_T_ADDR, 0, 0, "host:65536", false, 0, "\"host:65536\" is not host:port" },
	{ ENV_T_ADDR, 0, 0, "host:-1", false, 0, "\"host:-1\" is not host:port" },
	{ ENV_T_ADDR, 0, 0, "host:+1", false, 0, "\"host:+1\" is not host:port" },
	{ ENV_T_ADDR, 0, 0, "host:80x", false, 0, "\"host:80x\" is not host:port" },

	/* URL */
	{ ENV_T_URL, 0, 0, "http://127.0.0.1:8080", true, 0, NULL },
	{ ENV_T_URL, 0, 0, "https://crons.example.com/loom", true, 0, NULL },
	{ ENV_T_URL, 0, 0, "http://a", true, 0, NULL },
	{ ENV_T_URL, 0, 0, "https://a", true, 0, NULL },
	{ ENV_T_URL, 0, 0, "http://", false, 0,
	    "\"http://\" is not an http(s):// URL without a trailing /" },
	{ ENV_T_URL, 0, 0, "https://", false, 0,
	    "\"https://\" is not an http(s):// URL without a trailing /" },
	{ ENV_T_URL, 0, 0, "http://example.com/", false, 0,
	    "\"http://example.com/\" is not an http(s):// URL without a trailing /" },
	{ ENV_T_URL, 0, 0, "ftp://example.com", false, 0,
	    "\"ftp://example.com\" is not an http(s):// URL without a trailing /" },
	{ ENV_T_URL, 0, 0, "http://exa mple.com", false, 0,
	    "\"http://exa mple.com\" is not an http(s):// URL without a trailing /" },
	{ ENV_T_URL, 0, 0, "example.com", false, 0,
	    "\"example.com\" is not an http(s):// URL without a trailing /" },

	/* a mail server; a password in it is never shown */
	{ ENV_T_MAIL_URL, 0, 0, "smtp://127.0.0.1:2525", true, 0, NULL },
	{ ENV_T_MAIL_URL, 0, 0, "smtps://loom:pa55@mail.example.com:465", true, 0, NULL },
	{ ENV_T_MAIL_URL, 0, 0, "smtp://", false, 0, "\"smtp://\" is not an smtp:// or smtps:// URL" },
	{ ENV_T_MAIL_URL, 0, 0, "http://mail.example.com", false, 0,
	    "\"http://mail.example.com\" is not an smtp:// or smtps:// URL" },
	{ ENV_T_MAIL_URL, 0, 0, "smtps://loom:se cret@mail.example.com", false, 0,
	    "\"smtps://***@mail.example.com\" is not an smtp:// or smtps:// URL" },

	/* browser origins, comma-separated */
#define NOT_ORIGIN " is not an origin such as https://app.example.com or http://localhost:3000"
	{ ENV_T_ORIGINS, 0, 0, "https://app.example.com", true, 0, NULL },
	{ ENV_T_ORIGINS, 0, 0, "https://app.example.com, http://localhost:3000", true, 0, NULL },
	{ ENV_T_ORIGINS, 0, 0, "http://[::1]:8080,https://a", true, 0, NULL },
	{ ENV_T_ORIGINS, 0, 0, "", false, 0, "\"\"" NOT_ORIGIN },
	{ ENV_T_ORIGINS, 0, 0, "*", false, 0, "\"*\"" NOT_ORIGIN },
	{ ENV_T_ORIGINS, 0, 0, "https://a.example,", false, 0, "\"\"" NOT_ORIGIN },
	{ ENV_T_ORIGINS, 0, 0, "https://a.example, ,https://b", false, 0, "\"\"" NOT_ORIGIN },
	{ ENV_T_ORIGINS, 0, 0, "https://a.example/", false, 0,
	    "\"https://a.example/\"" NOT_ORIGIN },
	{ ENV_T_ORIGINS, 0, 0, "https://", false, 0, "\"https://\"" NOT_ORIGIN },
	{ ENV_T_ORIGINS, 0, 0, "app.example.com", false, 0, "\"app.example.com\"" NOT_ORIGIN },
	{ ENV_T_ORIGINS, 0, 0, "https://a.example https://b", false, 0,
	    "\"https://a.example https://b\"" NOT_ORIGIN },

	/* ZeroMQ endpoints, with czmq's optional @ (bind) and > (connect) */
	{ ENV_T_ENDPOINT, 0, 0, "ipc:///run/loom/storaged.cmd", true, 0, NULL },
	{ ENV_T_ENDPOINT, 0, 0, "tcp://10.0.0.1:5555", true, 0, NULL },
	{ ENV_T_ENDPOINT, 0, 0, "inproc://x", true, 0, NULL },
	{ ENV_T_ENDPOINT, 0, 0, "@tcp://*:5555", true, 0, NULL },
	{ ENV_T_ENDPOINT, 0, 0, ">ipc:///tmp/x", true, 0, NULL },
	{ ENV_T_ENDPOINT, 0, 0, "udp://x:1", false, 0,
	    "\"udp://x:1\" is not an ipc://, tcp:// or inproc:// endpoint" },
	{ ENV_T_ENDPOINT, 0, 0, "/run/loom/s", false, 0,
	    "\"/run/loom/s\" is not an ipc://, tcp:// or inproc:// endpoint" },

	/* numbers */
	{ ENV_T_UINT, 1, 3650, "90", true, 90, NULL },
	{ ENV_T_UINT, 1, 3650, "1", true, 1, NULL },
	{ ENV_T_UINT, 1, 3650, "3650", true, 3650, NULL },
	{ ENV_T_UINT, 1, 3650, "0", false, 0, "\"0\" is not a number in 1-3650" },
	{ ENV_T_UINT, 1, 3650, "3651", false, 0, "\"3651\" is not a number in 1-3650" },
	{ ENV_T_UINT, 1, 3650, "ninety", false, 0, "\"ninety\" is not a number in 1-3650" },
	{ ENV_T_UINT, 1, 3650, "-1", false, 0, "\"-1\" is not a number in 1-3650" },
	{ ENV_T_UINT, 1, 3650, " 90", false, 0, "\" 90\" is not a number in 1-3650" },
	{ ENV_T_UINT, 1, 3650, "90 ", false, 0, "\"90 \" is not a number in 1-3650" },
	{ ENV_T_UINT, 1, 3650, "9e1", false, 0, "\"9e1\" is not a number in 1-3650" },
	{ ENV_T_UINT, 1, 3650, "", false, 0, "\"\" is not a number in 1-3650" },
	{ ENV_T_UINT, 0, UINT64_MAX, "18446744073709551615", true, UINT64_MAX, NULL },
	{ ENV_T_UINT, 0, UINT64_MAX, "18446744073709551616", false, 0,
	    "\"18446744073709551616\" is not a number in 0-18446744073709551615" },

	/* sizes: K, M, G are powers of 1024 */
	{ ENV_T_SIZE, 1 << 20, 1ULL << 40, "256M", true, 256ULL << 20, NULL },
	{ ENV_T_SIZE, 1 << 20, 1ULL << 40, "1G", true, 1ULL << 30, NULL },
	{ ENV_T_SIZE, 1 << 20, 1ULL << 40, "2048K", true, 2048ULL << 10, NULL },
	{ ENV_T_SIZE, 1 << 20, 1ULL << 40, "1048576", true, 1 << 20, NULL },
	{ ENV_T_SIZE, 1 << 20, 1ULL << 40, "1024G", true, 1ULL << 40, NULL },
	{ ENV_T_SIZE, 1 << 20, 1ULL << 40, "1025G", false, 0,
	    "\"1025G\" is not a size (K, M, G) in 1048576-1099511627776" },
	{ ENV_T_SIZE, 1 << 20, 1ULL << 40, "1023K", false, 0,
	    "\"1023K\" is not a size (K, M, G) in 1048576-1099511627776" },
	{ ENV_T_SIZE, 1 << 20, 1ULL << 40, "1m", false, 0,
	    "\"1m\" is not a size (K, M, G) in 1048576-1099511627776" },
	{ ENV_T_SIZE, 1 << 20, 1ULL << 40, "1T", false, 0,
	    "\"1T\" is not a size (K, M, G) in 1048576-1099511627776" },
	{ ENV_T_SIZE, 1 << 20, 1ULL << 40, "1.5G", false, 0,
	    "\"1.5G\" is not a size (K, M, G) in 1048576-1099511627776" },
	{ ENV_T_SIZE, 1 << 20, 1ULL << 40, "1 G", false, 0,
	    "\"1 G\" is not a size (K, M, G) in 1048576-1099511627776" },
	{ ENV_T_SIZE, 0, UINT64_MAX, "17179869183G", true, 17179869183ULL << 30, NULL },
	{ ENV_T_SIZE, 0, UINT64_MAX, "17179869184G", false, 0,	/* 2^64: overflows */
	    "\"17179869184G\" is not a size (K, M, G) in 0-18446744073709551615" },

	/* durations: ms (the default unit), s, m, h, d */
	{ ENV_T_MS, 1, 86400000, "250", true, 250, NULL },
	{ ENV_T_MS, 1, 86400000, "250ms", true, 250, NULL },
	{ ENV_T_MS, 1, 86400000, "5s", true, 5000, NULL },
	{ ENV_T_MS, 1, 86400000, "2m", true, 120000, NULL },
	{ ENV_T_MS, 1, 86400000, "24h", true, 86400000, NULL },
	{ ENV_T_MS, 1, 86400000, "25h", false, 0,
	    "\"25h\" is not a duration (ms, s, m, h, d) in 1-86400000" },
	{ ENV_T_MS, 1, 86400000, "0s", false, 0,
	    "\"0s\" is not a duration (ms, s, m, h, d) in 1-86400000" },
	{ ENV_T_MS, 1, 86400000, "1d", true, 86400000, NULL },
	{ ENV_T_MS, 1, 86400000, "2d", false, 0,
	    "\"2d\" is not a duration (ms, s, m, h, d) in 1-86400000" },
	{ ENV_T_MS, 1, 86400000, "1.5s", false, 0,
	    "\"1.5s\" is not a duration (ms, s, m, h, d) in 1-86400000" },
	{ ENV_T_MS, 1, 86400000, "s", false, 0,
	    "\"s\" is not a duration (ms, s, m, h, d) in 1-86400000" },
	{ ENV_T_MS, 1, 86400000, "5S", false, 0,
	    "\"5S\" is not a duration (ms, s, m, h, d) in 1-86400000" },
};

static void
test_value_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(values); i++) {
		struct env_var	 v = { "LOOM_X", values[i].type, NULL, NULL, values[i].min,
		    values[i].max, "doc" };
		char		 why[256] = "";
		int		 r = env_check(&v, values[i].value, why, sizeof(why));

		if (values[i].ok && r != 0)
			fail_msg("row %zu: \"%s\" refused: %s", i, values[i].value, why);
		if (!values[i].ok && r != -1)
			fail_msg("row %zu: \"%s\" accepted", i, values[i].value);
		if (!values[i].ok)
			assert_string_equal(why, values[i].why);
	}
}

/* The parsed value lands in the target: numbers as uint64_t, text as the string itself. */
static void
test_values_loaded(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(values); i++) {
		uint64_t	 n = 12345;
		const char	*s = NULL;
		struct env_var	 tab[] = {
			{ "LOOM_TEST_VALUE", values[i].type, NULL,
			    NUM(values[i].type) ? (void *)&n : (void *)&s, values[i].min,
			    values[i].max, "doc" },
			ENV_END
		};
		struct capture	*cap = &capbuf;
		int		 r;

		setenv("LOOM_TEST_VALUE", values[i].value, 1);
		capture_begin(cap);
		r = env_load(tab);
		capture_end(cap);
		unsetenv("LOOM_TEST_VALUE");
		assert_int_equal(r, values[i].ok ? 0 : -1);
		if (values[i].ok) {
			assert_int_equal(cap->n, 0);
			if (NUM(values[i].type))
				assert_int_equal(n, values[i].n);
			else
				assert_string_equal(s, values[i].value);
		} else {
			char want[400];

			/* One line naming the variable, and the target untouched. */
			assert_int_equal(cap->n, 1);
			snprintf(want, sizeof(want), "LOOM_TEST_VALUE: %s\n", values[i].why);
			assert_string_equal(strstr(cap->rec[0], " error: ") + 8, want);
			if (NUM(values[i].type))
				assert_int_equal(n, 12345);
			else
				assert_null(s);
		}
	}
}

static struct {
	const char	*data, *run, *url, *secret, *endpoint, *addr;
	uint64_t	 days, map, period;
} cfg;

static const struct env_var table[] = {
	ENV_PATH("LOOM_T_DATA", "/var/lib/loom", &cfg.data, "data directory"),
	ENV_PATH("LOOM_T_RUN", NULL, &cfg.run, "run directory"),
	ENV_URL("LOOM_T_URL", "http://127.0.0.1:8080", &cfg.url, "public URL"),
	ENV_SECRET("LOOM_T_SECRET", &cfg.secret, "admin token"),
	ENV_ENDPOINT("LOOM_T_EP", NULL, &cfg.endpoint, "endpoint"),
	ENV_ADDR("LOOM_T_ADDR", "127.0.0.1:8080", &cfg.addr, "listener"),
	ENV_UINT("LOOM_RETENTION_DAYS", "90", &cfg.days, 1, 3650, "retention"),
	ENV_SIZE("LOOM_T_MAP", "256M", &cfg.map, 1 << 20, 1ULL << 40, "map size"),
	ENV_MS("LOOM_T_PERIOD", "1m", &cfg.period, 10, 3600000, "period"),
	ENV_END
};

static void
unset_all(void)
{
	for (const struct env_var *v = table; v->name != NULL; v++)
		unsetenv(v->name);
}

static void
test_defaults(void **state)
{
	(void)state;
	unset_all();
	memset(&cfg, 0xa5, sizeof(cfg));
	assert_int_equal(env_load(table), 0);
	assert_string_equal(cfg.data, "/var/lib/loom");
	assert_null(cfg.run);		/* no default, not set */
	assert_string_equal(cfg.url, "http://127.0.0.1:8080");
	assert_null(cfg.secret);
	assert_null(cfg.endpoint);
	assert_string_equal(cfg.addr, "127.0.0.1:8080");
	assert_int_equal(cfg.days, 90);
	assert_int_equal(cfg.map, 256ULL << 20);
	assert_int_equal(cfg.period, 60000);
}

static void
test_set_values(void **state)
{
	(void)state;
	unset_all();
	setenv("LOOM_T_DATA", "/srv/loom", 1);
	setenv("LOOM_T_RUN", "/run/x", 1);
	setenv("LOOM_T_SECRET", "loom_topsecret", 1);
	setenv("LOOM_T_EP", "tcp://10.1.1.1:7000", 1);
	setenv("LOOM_T_ADDR", "[::]:80", 1);
	setenv("LOOM_RETENTION_DAYS", "3650", 1);
	setenv("LOOM_T_MAP", "1G", 1);
	setenv("LOOM_T_PERIOD", "250ms", 1);
	assert_int_equal(env_load(table), 0);
	assert_string_equal(cfg.data, "/srv/loom");
	assert_string_equal(cfg.run, "/run/x");
	assert_string_equal(cfg.secret, "loom_topsecret");
	assert_string_equal(cfg.endpoint, "tcp://10.1.1.1:7000");
	assert_string_equal(cfg.addr, "[::]:80");
	assert_int_equal(cfg.days, 3650);
	assert_int_equal(cfg.map, 1ULL << 30);
	assert_int_equal(cfg.period, 250);
	unset_all();
}

/* Every bad variable is reported, each by name, in table order; then -1. */
static void
test_all_bad_reported(void **state)
{
	static const char *const want[] = {
		"LOOM_T_DATA: must not be empty\n",
		"LOOM_T_URL: \"http://x/\" is not an http(s):// URL without a trailing /\n",
		"LOOM_T_ADDR: \"8080\" is not host:port\n",
		"LOOM_RETENTION_DAYS: \"ninety\" is not a number in 1-3650\n",
		"LOOM_T_MAP: \"1T\" is not a size (K, M, G) in 1048576-1099511627776\n",
		"LOOM_T_PERIOD: \"5ms\" is not a duration (ms, s, m, h, d) in 10-3600000\n",
	};
	struct capture	*cap = &capbuf;
	int		 r;

	(void)state;
	unset_all();
	setenv("LOOM_T_DATA", "", 1);
	setenv("LOOM_T_URL", "http://x/", 1);
	setenv("LOOM_T_ADDR", "8080", 1);
	setenv("LOOM_RETENTION_DAYS", "ninety", 1);
	setenv("LOOM_T_MAP", "1T", 1);
	setenv("LOOM_T_PERIOD", "5ms", 1);
	setenv("LOOM_T_SECRET", "fine", 1);
	log_init("storaged", 0);
	capture_begin(cap);
	r = env_load(table);
	capture_end(cap);
	unset_all();
	assert_int_equal(r, -1);
	assert_int_equal(cap->n, nitems(want));
	for (size_t i = 0; i < nitems(want); i++) {
		const char *msg = strstr(cap->rec[i], " storaged error: ");

		assert_non_null(msg);
		assert_string_equal(msg + strlen(" storaged error: "), want[i]);
	}
}

/* A broken built-in default is reported as such (a programming error, but named). */
static void
test_bad_default(void **state)
{
	uint64_t		 n;
	const struct env_var	 tab[] = {
		ENV_UINT("LOOM_T_BROKEN", "0", &n, 1, 10, "doc"),
		ENV_END
	};
	struct capture		*cap = &capbuf;
	int			 r;

	(void)state;
	unsetenv("LOOM_T_BROKEN");
	capture_begin(cap);
	r = env_load(tab);
	capture_end(cap);
	assert_int_equal(r, -1);
	assert_int_equal(cap->n, 1);
	assert_non_null(strstr(cap->rec[0],
	    "LOOM_T_BROKEN: \"0\" is not a number in 1-10 (built-in default)\n"));
}

static void
test_print(void **state)
{
	static const char want[] =
	    "LOOM_T_DATA=/srv/loom\t# data directory (default: /var/lib/loom)\n"
	    "LOOM_T_RUN=\t# run directory (default: unset)\n"
	    "LOOM_T_URL=http://127.0.0.1:8080\t# public URL (default: http://127.0.0.1:8080)\n"
	    "LOOM_T_SECRET=(set)\t# admin token (default: unset)\n"
	    "LOOM_T_EP=\t# endpoint (default: unset)\n"
	    "LOOM_T_ADDR=127.0.0.1:8080\t# listener (default: 127.0.0.1:8080)\n"
	    "LOOM_RETENTION_DAYS=7\t# retention (default: 90)\n"
	    "LOOM_T_MAP=268435456\t# map size (default: 256M)\n"
	    "LOOM_T_PERIOD=300000ms\t# period (default: 1m)\n";
	char	*out = NULL;
	size_t	 len = 0;
	FILE	*fp;

	(void)state;
	unset_all();
	setenv("LOOM_T_DATA", "/srv/loom", 1);
	setenv("LOOM_T_SECRET", "loom_do_not_print_me", 1);
	setenv("LOOM_RETENTION_DAYS", "7", 1);
	setenv("LOOM_T_PERIOD", "5m", 1);
	assert_int_equal(env_load(table), 0);
	assert_non_null(fp = open_memstream(&out, &len));
	env_print(table, fp);
	fclose(fp);
	unset_all();
	assert_string_equal(out, want);
	assert_null(strstr(out, "do_not_print"));
	free(out);
}

static void
test_print_hides_a_mail_password(void **state)
{
	static const char	*mail;
	static const struct env_var tab[] = {
		ENV_MAIL_URL("LOOM_T_MAIL", &mail, "mail server"),
		ENV_END
	};
	char	*out = NULL;
	size_t	 len = 0;
	FILE	*fp;

	(void)state;
	setenv("LOOM_T_MAIL", "smtps://loom:pa55word@mail.example.com:465", 1);
	assert_int_equal(env_load(tab), 0);
	assert_string_equal(mail, "smtps://loom:pa55word@mail.example.com:465");	/* loaded whole */
	assert_non_null(fp = open_memstream(&out, &len));
	env_print(tab, fp);
	fclose(fp);
	assert_string_equal(out, "LOOM_T_MAIL=smtps://***@mail.example.com:465\t# mail server "
	    "(default: unset)\n");
	free(out);
	setenv("LOOM_T_MAIL", "smtp://127.0.0.1:2525", 1);
	assert_int_equal(env_load(tab), 0);
	assert_non_null(fp = open_memstream(&out, &len));
	env_print(tab, fp);
	fclose(fp);
	unsetenv("LOOM_T_MAIL");
	assert_non_null(strstr(out, "LOOM_T_MAIL=smtp://127.0.0.1:2525\t"));
	free(out);
}

static void
test_split_addr(void **state)
{
	static const struct {
		const char	*addr;
		int		 r;
		const char	*host;
		uint16_t	 port;
	} rows[] = {
		{ "127.0.0.1:8080", 0, "127.0.0.1", 8080 },
		{ "[::1]:443", 0, "::1", 443 },
		{ "example.com:0", 0, "example.com", 0 },
		{ "[fe80::1%eth0]:9", 0, "fe80::1%eth0", 9 },
		{ "example.com", -1, NULL, 0 },
		{ "a:b:1", -1, NULL, 0 },
		{ "[::1]", -1, NULL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		char		 host[64] = "unchanged";
		uint16_t	 port = 7;

		assert_int_equal(env_split_addr(rows[i].addr, host, sizeof(host), &port),
		    rows[i].r);
		if (rows[i].r == 0) {
			assert_string_equal(host, rows[i].host);
			assert_int_equal(port, rows[i].port);
		} else {
			assert_string_equal(host, "unchanged");
		}
	}
	/* A host that does not fit the buffer is refused, not cut. */
	{
		char		 host[4];
		uint16_t	 port;

		assert_int_equal(env_split_addr("abcd:1", host, sizeof(host), &port), -1);
		assert_int_equal(env_split_addr("abc:1", host, sizeof(host), &port), 0);
		assert_string_equal(host, "abc");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_value_table),
		cmocka_unit_test(test_values_loaded),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_set_values),
		cmocka_unit_test(test_all_bad_reported),
		cmocka_unit_test(test_bad_default),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_print_hides_a_mail_password),
		cmocka_unit_test(test_split_addr),
	};
	return cmocka_run_group_tests_name("env", tests, NULL, NULL);
}
