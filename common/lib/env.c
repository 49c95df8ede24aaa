/*
 * env.c -- parsing and validation of LOOM_* variables from declarative
 * tables.  A bad value is reported with the variable's name and the rule
 * it broke, e.g.  LOOM_RETENTION_DAYS: "ninety" is not a number in 1-3650.
 */
#include "common.h"
#include "env.h"

int
env_split_addr(const char *addr, char *host, size_t hostlen, uint16_t *port)
{
	const char	*colon, *h = addr, *p;
	size_t		 hl;
	char		*end;
	unsigned long	 n;

	if (addr[0] == '[') {
		const char *rb = strchr(addr, ']');
		if (rb == NULL || rb[1] != ':')
			return -1;
		h = addr + 1;
		hl = (size_t)(rb - h);
		p = rb + 2;
	} else {
		if ((colon = strrchr(addr, ':')) == NULL || strchr(addr, ':') != colon)
			return -1;
		hl = (size_t)(colon - addr);
		p = colon + 1;
	}
	if (hl == 0 || hl >= hostlen || *p == '\0')
		return -1;
	errno = 0;
	n = strtoul(p, &end, 10);
	if (errno != 0 || *end != '\0' || n > 65535 || *p == '-' || *p == '+')
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)n;
	return 0;
}

/* Parses a number with an optional unit suffix from units[]. */
static int
parse_scaled(const char *s, const char *const units[], const uint64_t scale[], uint64_t *out)
{
	char		*end;
	uint64_t	 n;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	for (int i = 0; units[i] != NULL; i++) {
		if (strcmp(end, units[i]) == 0) {
			if (scale[i] != 0 && n > UINT64_MAX / scale[i])
				return -1;
			*out = n * scale[i];
			return 0;
		}
	}
	return -1;
}

/* A browser's origin: http(s)://host[:port], no path. */
static bool
origin_valid(const char *s, size_t n)
{
	size_t scheme = n > 8 && strncmp(s, "https://", 8) == 0 ? 8 :
	    n > 7 && strncmp(s, "http://", 7) == 0 ? 7 : 0;

	return scheme != 0 && str_only(s + scheme, n - scheme,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]");
}

/*
 * A mail server URL as it may be shown: its user:password@, if any, as
 * ***@ (in buf).
 */
static const char *
mail_url_shown(const char *s, char *buf, size_t len)
{
	const char	*auth = strstr(s, "://"), *at, *end;

	if (auth == NULL)
		return s;
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	if ((at = memrchr(auth, '@', (size_t)(end - auth))) == NULL)
		return s;
	snprintf(buf, len, "%.*s***%s", (int)(auth - s), s, at);
	return buf;
}

static const char *const size_units[] = { "", "K", "M", "G", NULL };
static const uint64_t size_scale[] = { 1, 1ULL << 10, 1ULL << 20, 1ULL << 30 };
static const char *const ms_units[] = { "", "ms", "s", "m", "h", "d", NULL };
static const uint64_t ms_scale[] = { 1, 1, 1000, 60000, 3600000, 86400000 };

static int
parse_value(const struct env_var *v, const char *s, void *out, char *why, size_t wl)
{
	uint64_t	 n = 0;
	char		 host[256];
	uint16_t	 port;

	switch (v->type) {
	case ENV_T_STR:
	case ENV_T_SECRET:
	case ENV_T_PATH:
		if (*s == '\0') {
			snprintf(why, wl, "must not be empty");
			return -1;
		}
		break;
	case ENV_T_ADDR:
		if (env_split_addr(s, host, sizeof(host), &port) == -1) {
			snprintf(why, wl, "\"%s\" is not host:port", s);
			return -1;
		}
		break;
	case ENV_T_URL: {
		/* The scheme, then at least one character of host. */
		size_t scheme = strncmp(s, "https://", 8) == 0 ? 8 :
		    strncmp(s, "http://", 7) == 0 ? 7 : 0;

		if (scheme == 0 || strlen(s) <= scheme || s[strlen(s) - 1] == '/' ||
		    strpbrk(s, " \t\r\n\"") != NULL) {
			snprintf(why, wl, "\"%s\" is not an http(s):// URL without a trailing /",
			    s);
			return -1;
		}
		break;
	}
	case ENV_T_MAIL_URL: {
		size_t scheme = strncmp(s, "smtps://", 8) == 0 ? 8 :
		    strncmp(s, "smtp://", 7) == 0 ? 7 : 0;

		if (scheme == 0 || strlen(s) <= scheme || strpbrk(s, " \t\r\n\"") != NULL) {
			snprintf(why, wl, "\"%s\" is not an smtp:// or smtps:// URL",
			    mail_url_shown(s, host, sizeof(host)));
			return -1;
		}
		break;
	}
	case ENV_T_ORIGINS: {
		const char	*p = s, *item;
		size_t		 len;

		while (list_next(&p, &item, &len))
			if (!origin_valid(item, len)) {
				snprintf(why, wl, "\"%.*s\" is not an origin such as "
				    "https://app.example.com or http://localhost:3000", (int)len, item);
				return -1;
			}
		break;
	}
	case ENV_T_ENDPOINT: {
		const char *e = (*s == '@' || *s == '>') ? s + 1 : s;
		if (strncmp(e, "ipc://", 6) != 0 && strncmp(e, "tcp://", 6) != 0 &&
		    strncmp(e, "inproc://", 9) != 0) {
			snprintf(why, wl, "\"%s\" is not an ipc://, tcp:// or inproc:// endpoint",
			    s);
			return -1;
		}
		break;
	}
	case ENV_T_UINT:
	case ENV_T_SIZE:
	case ENV_T_MS: {
		static const char *const none[] = { "", NULL };
		static const uint64_t one[] = { 1 };
		const char *const *units = v->type == ENV_T_SIZE ? size_units :
		    v->type == ENV_T_MS ? ms_units : none;
		const uint64_t *scale = v->type == ENV_T_SIZE ? size_scale :
		    v->type == ENV_T_MS ? ms_scale : one;
		const char *what = v->type == ENV_T_SIZE ? "a size (K, M, G)" :
		    v->type == ENV_T_MS ? "a duration (ms, s, m, h, d)" : "a number";

		if (parse_scaled(s, units, scale, &n) == -1 || n < v->min || n > v->max) {
			snprintf(why, wl, "\"%s\" is not %s in %" PRIu64 "-%" PRIu64, s, what,
			    v->min, v->max);
			return -1;
		}
		break;
	}
	}
	if (out != NULL) {
		if (v->type == ENV_T_UINT || v->type == ENV_T_SIZE || v->type == ENV_T_MS)
			*(uint64_t *)out = n;
		else
			*(const char **)out = s;
	}
	return 0;
}

int
env_check(const struct env_var *var, const char *value, char *why, size_t whylen)
{
	return parse_value(var, value, NULL, why, whylen);
}

int
env_load(const struct env_var *tab)
{
	char	 why[256];
	int	 bad = 0;

	for (const struct env_var *v = tab; v->name != NULL; v++) {
		const char *s = getenv(v->name);

		if (s == NULL)
			s = v->def;
		if (s == NULL) {
			if (v->type != ENV_T_UINT && v->type != ENV_T_SIZE && v->type != ENV_T_MS)
				*(const char **)v->target = NULL;
			continue;
		}
		if (parse_value(v, s, v->target, why, sizeof(why)) == -1) {
			log_error("%s: %s%s", v->name, why,
			    getenv(v->name) == NULL ? " (built-in default)" : "");
			bad++;
		}
	}
	return bad ? -1 : 0;
}

void
env_print(const struct env_var *tab, FILE *fp)
{
	for (const struct env_var *v = tab; v->name != NULL; v++) {
		const char *def = v->def ? v->def : "unset";

		if (v->type == ENV_T_UINT || v->type == ENV_T_SIZE || v->type == ENV_T_MS) {
			uint64_t n = *(uint64_t *)v->target;
			fprintf(fp, "%s=%" PRIu64 "%s", v->name, n, v->type == ENV_T_MS ? "ms" : "");
		} else {
			const char *s = *(const char **)v->target;
			char buf[1024];

			fprintf(fp, "%s=%s", v->name,
			    s == NULL ? "" : v->type == ENV_T_SECRET ? "(set)" :
			    v->type == ENV_T_MAIL_URL ? mail_url_shown(s, buf, sizeof(buf)) : s);
		}
		fprintf(fp, "\t# %s (default: %s)\n", v->doc, def);
	}
}
