/*
 * stream.c -- loomctl stream: follows GET /api/crons/stream (Server-Sent
 * Events) and prints one line per event as it arrives, until Ctrl-C, the
 * end of the stream, or --count events.  --last-event-id resumes after an
 * event seen earlier, replaying what the server logged since.
 */
#include "loomctl.h"

#include <curl/curl.h>

struct follow {
	const struct ctl	*ctl;
	CURL			*h;
	struct sse		*sse;
	long			 status;	/* 0 until the first body bytes */
	char			*err;		/* an error answer's body */
	size_t			 err_len;
	long			 left;		/* events still wanted; -1: no end */
};

static const char *
dash(const char *s)
{
	return s != NULL ? s : "-";
}

/* One event: its JSON on one line, or time, id, type, monitor, health change. */
static int
on_event(void *arg, const struct sse_event *ev)
{
	struct follow	*f = arg;
	json_t		*j = json_loads(ev->data, 0, NULL);
	const char	*old = jstr(j, "old_health"), *new = jstr(j, "new_health");
	char		 when[64];

	if (f->ctl->json) {
		printf("%s\n", ev->data);
	} else {
		printf("%s  %s  %s  %s", dash(jtime(j, "time", when, sizeof(when))),
		    dash(ev->id), ev->type, dash(jstr(json_object_get(j, "monitor"), "slug")));
		if (old != NULL && new != NULL && strcmp(old, new) != 0)
			printf("  %s -> %s", old, new);
		putchar('\n');
	}
	fflush(stdout);
	json_decref(j);
	return f->left > 0 && --f->left == 0;
}

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct follow	*f = arg;

	if (f->status == 0)
		curl_easy_getinfo(f->h, CURLINFO_RESPONSE_CODE, &f->status);
	if (f->status >= 400) {
		f->err = xreallocarray(f->err, f->err_len + size * n + 1, 1);
		memcpy(f->err + f->err_len, p, size * n);
		f->err_len += size * n;
		f->err[f->err_len] = '\0';
		return size * n;
	}
	/* Returning less than given ends the transfer: --count was reached. */
	return sse_feed(f->sse, p, size * n) != 0 ? 0 : size * n;
}

int
cmd_stream(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "events", required_argument, NULL, 'e' },
		{ "monitor", required_argument, NULL, 'm' },
		{ "count", required_argument, NULL, 'c' },
		{ "last-event-id", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct follow		 f = { .ctl = ctl, .left = -1 };
	struct curl_slist	*hdrs = NULL;
	char			*url, *q = xstrdup(""), *auth, *end, *last = NULL;
	CURLcode		 rc;
	int			 ch, ret = EXIT_FATAL;

	optind = 0;
	while ((ch = args_next(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'c':
			f.left = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || f.left < 1)
				usage("--count: \"%s\" is not a number of events (1 or more)",
				    optarg);
			break;
		case 'l':
			if (*optarg == '\0' || optarg[strspn(optarg, "0123456789")] != '\0')
				usage("--last-event-id: \"%s\" is not an event id (a number)",
				    optarg);
			free(last);
			last = xasprintf("Last-Event-ID: %s", optarg);
			break;
		case 'e':
		case 'm':
			http_query_add(&q, ch == 'e' ? "events" : "monitor", optarg);
			break;
		}
	}
	if (optind != argc)
		usage("stream takes no operand, not \"%s\"", argv[optind]);

	url = xasprintf("%s/api/crons/stream%s", ctl->url, q);
	auth = xasprintf("Authorization: Bearer %s", ctl->token);
	hdrs = curl_slist_append(hdrs, auth);
	hdrs = curl_slist_append(hdrs, "Accept: text/event-stream");
	if (last != NULL)
		hdrs = curl_slist_append(hdrs, last);
	f.sse = sse_new(on_event, &f);
	if ((f.h = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	curl_easy_setopt(f.h, CURLOPT_URL, url);
	curl_easy_setopt(f.h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(f.h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(f.h, CURLOPT_WRITEDATA, &f);
	curl_easy_setopt(f.h, CURLOPT_CONNECTTIMEOUT, 5L);
	/* Heartbeats come every 15 s: a minute of silence is a dead connection. */
	curl_easy_setopt(f.h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(f.h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(f.h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f.h, CURLOPT_USERAGENT, "loomctl/" LOOM_VERSION);

	rc = curl_easy_perform(f.h);
	if (f.status == 0)
		curl_easy_getinfo(f.h, CURLINFO_RESPONSE_CODE, &f.status);
	if (f.status >= 400)
		http_print_error(f.status, f.err, f.err_len);
	else if (rc == CURLE_WRITE_ERROR && f.left == 0)
		ret = 0;
	else if (rc != CURLE_OK)
		fprintf(stderr, "loomctl: GET %s: %s\n", url, curl_easy_strerror(rc));
	else
		fprintf(stderr, "loomctl: GET %s: the stream ended\n", url);

	curl_easy_cleanup(f.h);
	curl_slist_free_all(hdrs);
	sse_destroy(&f.sse);
	free(f.err);
	free(last);
	free(auth);
	free(url);
	free(q);
	return ret;
}
