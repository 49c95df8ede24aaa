/*
 * channels.c -- loomctl channels list|create|test|deliveries|delete over
 * /api/crons/channels (docs/alerts.md).  A new channel's signing secret is
 * shown once, on a line of its own, like a new token.
 */
#include "loomctl.h"

static char *
channel_path(const char *id, const char *tail)
{
	char	*e = http_escape(id), *path;

	path = xasprintf("/api/crons/channels/%s%s", e, tail);
	free(e);
	return path;
}

/* Where a channel delivers: its URL's host and path, or its recipients. */
static const char *
target(json_t *ch, char *buf, size_t len)
{
	if (json_object_get(ch, "recipients") != NULL)
		return jjoin(ch, "recipients", buf, len);
	return jtext(ch, "url", buf, len);
}

static void
print_channels(json_t *answer)
{
	struct table	*t = table_new(6, "ID", "KIND", "NAME", "STATE", "ENABLED", "TARGET");
	char		 where[256], enabled[8];
	size_t		 i;
	json_t		*ch;

	json_array_foreach(json_object_get(answer, "channels"), i, ch)
		table_add(t, jstr(ch, "id"), jstr(ch, "kind"), jstr(ch, "name"),
		    jstr(ch, "state"), jtext(ch, "enabled", enabled, sizeof(enabled)),
		    target(ch, where, sizeof(where)));
	table_print(t, stdout);
	table_destroy(&t);
}

static int
list(struct ctl *ctl, int argc, char **argv)
{
	json_t	*j;

	optind = 0;
	args_none(argc, argv);
	if (optind != argc)
		usage("channels list takes no operand, not \"%s\"", argv[optind]);
	if (http_call(ctl, "GET", "/api/crons/channels", NULL, &j) == -1)
		return EXIT_FATAL;
	return answer_show(ctl, j, print_channels);
}

static void
print_created(json_t *ch)
{
	printf("created %s (%s %s); its signing secret, shown only now:\n%s\n",
	    jstr(ch, "id"), jstr(ch, "kind"), jstr(ch, "name"), jstr(ch, "secret"));
}

static int
create(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "url", required_argument, NULL, 'u' },
		{ "to", required_argument, NULL, 't' },
		{ "name", required_argument, NULL, 'n' },
		{ "event", required_argument, NULL, 'e' },
		{ "monitor", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	json_t	*body = json_object(), *to = json_array(), *events = json_array();
	json_t	*monitors = json_array(), *j;
	int	 ch;
	long	 status;

	optind = 0;
	while ((ch = args_next(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'k':
			json_object_set_new(body, "kind", args_text("kind", optarg));
			break;
		case 'u':
			json_object_set_new(body, "url", args_text("url", optarg));
			break;
		case 'n':
			json_object_set_new(body, "name", args_text("name", optarg));
			break;
		case 't':
			json_array_append_new(to, args_text("to", optarg));
			break;
		case 'e':
			json_array_append_new(events, args_text("event", optarg));
			break;
		default:
			json_array_append_new(monitors, args_text("monitor", optarg));
			break;
		}
	}
	if (optind != argc)
		usage("channels create takes no operand, not \"%s\"", argv[optind]);
	if (json_object_get(body, "kind") == NULL)
		usage("channels create needs a --kind: webhook, slack, discord, ntfy or email");
	if (json_array_size(to) > 0)
		json_object_set(body, "recipients", to);
	if (json_array_size(events) > 0)
		json_object_set(body, "events", events);
	if (json_array_size(monitors) > 0)
		json_object_set(body, "monitors", monitors);
	json_decref(to);
	json_decref(events);
	json_decref(monitors);
	status = http_call(ctl, "POST", "/api/crons/channels", body, &j);
	json_decref(body);
	if (status == -1)
		return EXIT_FATAL;
	return answer_show(ctl, j, print_created);
}

static void
print_deliveries(json_t *answer)
{
	struct table	*t = table_new(8, "EVENT", "TYPE", "MONITOR", "STATUS", "HTTP",
			    "ATTEMPTS", "NEXT RETRY", "LAST ERROR");
	char		 http[16], attempts[16], next[64];
	size_t		 i;
	json_t		*d;

	json_array_foreach(json_object_get(answer, "deliveries"), i, d) {
		char id[24];

		table_add(t, jtext(d, "event_id", id, sizeof(id)), jstr(d, "type"),
		    jstr(d, "monitor"), jstr(d, "status"), jtext(d, "http_status", http,
		    sizeof(http)), jtext(d, "attempts", attempts, sizeof(attempts)),
		    jtime(d, "next_retry_at", next, sizeof(next)), jstr(d, "last_error"));
	}
	table_print(t, stdout);
	table_destroy(&t);
}

static int
deliveries(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*id;
	char		*path, *limit = NULL;
	json_t		*j;
	int		 ch;
	long		 status;

	optind = 0;
	while ((ch = args_next(argc, argv, opts)) != -1) {
		json_decref(args_integer("limit", optarg));	/* a number, or usage */
		free(limit);
		limit = xstrdup(optarg);
	}
	id = args_operand(argc, argv, "channels deliveries", "CHANNEL_ID");
	path = channel_path(id, "/deliveries");
	if (limit != NULL)
		http_query_add(&path, "limit", limit);
	status = http_call(ctl, "GET", path, NULL, &j);
	free(path);
	free(limit);
	if (status == -1)
		return EXIT_FATAL;
	return answer_show(ctl, j, print_deliveries);
}

static void
print_test(json_t *answer)
{
	char id[24];

	printf("test message queued as event %s: see `loomctl channels deliveries`\n",
	    jtext(answer, "event_id", id, sizeof(id)));
}

/* test and delete: a channel id and nothing else. */
static int
by_id(struct ctl *ctl, int argc, char **argv, const char *what)
{
	bool		 test = strcmp(what, "test") == 0;
	const char	*id;
	char		*path, command[32];
	json_t		*j;
	long		 status;

	optind = 0;
	args_none(argc, argv);
	snprintf(command, sizeof(command), "channels %s", what);
	id = args_operand(argc, argv, command, "CHANNEL_ID");
	path = channel_path(id, test ? "/test" : "");
	status = http_call(ctl, test ? "POST" : "DELETE", path, NULL, &j);
	free(path);
	if (status == -1)
		return EXIT_FATAL;
	if (test)
		return answer_show(ctl, j, print_test);
	json_decref(j);
	printf("deleted %s\n", id);
	return 0;
}

int
cmd_channels(struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2)
		usage("channels needs list, create, test, deliveries or delete");
	if (strcmp(argv[1], "list") == 0)
		return list(ctl, argc - 1, argv + 1);
	if (strcmp(argv[1], "create") == 0)
		return create(ctl, argc - 1, argv + 1);
	if (strcmp(argv[1], "deliveries") == 0)
		return deliveries(ctl, argc - 1, argv + 1);
	if (strcmp(argv[1], "test") == 0 || strcmp(argv[1], "delete") == 0)
		return by_id(ctl, argc - 1, argv + 1, argv[1]);
	usage("unknown channels command \"%s\"", argv[1]);
}
