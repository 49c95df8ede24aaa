/*
 * tokens.c -- loomctl tokens list|create|revoke over /api/crons/tokens.
 * A new token's secret is shown once, on a line of its own, so that a
 * script can take it (or --json and .token).
 */
#include "loomctl.h"

static void
print_tokens(json_t *answer)
{
	struct table	*t = table_new(4, "ID", "NAME", "SCOPES", "CREATED");
	char		 scopes[64], created[64];
	size_t		 i;
	json_t		*tok;

	json_array_foreach(json_object_get(answer, "tokens"), i, tok)
		table_add(t, jstr(tok, "id"), jstr(tok, "name"),
		    jjoin(tok, "scopes", scopes, sizeof(scopes)),
		    jtime(tok, "created_at", created, sizeof(created)));
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
		usage("tokens list takes no operand, not \"%s\"", argv[optind]);
	if (http_call(ctl, "GET", "/api/crons/tokens", NULL, &j) == -1)
		return EXIT_FATAL;
	return answer_show(ctl, j, print_tokens);
}

/* The new token's secret, on a line of its own: it is shown only this once. */
static void
print_created(json_t *t)
{
	char	 scopes[64];

	printf("created %s (%s: %s); the token, shown only now:\n%s\n", jstr(t, "id"),
	    jstr(t, "name"), jjoin(t, "scopes", scopes, sizeof(scopes)), jstr(t, "token"));
}

static int
create(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scope", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	json_t	*scopes = json_array(), *body, *j, *name = NULL;
	int	 ch;
	long	 status;

	optind = 0;
	while ((ch = args_next(argc, argv, opts)) != -1) {
		if (ch == 's') {
			json_array_append_new(scopes, args_text("scope", optarg));
		} else {
			json_decref(name);
			name = args_text("name", optarg);
		}
	}
	if (optind != argc)
		usage("tokens create takes no operand, not \"%s\"", argv[optind]);
	if (json_array_size(scopes) == 0)
		usage("tokens create needs a --scope: admin, checkins or read");
	body = json_pack("{s:o}", "scopes", scopes);
	if (name != NULL)
		json_object_set_new(body, "name", name);
	status = http_call(ctl, "POST", "/api/crons/tokens", body, &j);
	json_decref(body);
	if (status == -1)
		return EXIT_FATAL;
	return answer_show(ctl, j, print_created);
}

static int
revoke(struct ctl *ctl, int argc, char **argv)
{
	const char	*id;
	char		*path, *e;
	json_t		*j;
	long		 status;

	optind = 0;
	args_none(argc, argv);
	id = args_operand(argc, argv, "tokens revoke", "TOKEN_ID");
	e = http_escape(id);
	path = xasprintf("/api/crons/tokens/%s", e);
	status = http_call(ctl, "DELETE", path, NULL, &j);
	free(path);
	free(e);
	json_decref(j);
	if (status == -1)
		return EXIT_FATAL;
	printf("revoked %s\n", id);
	return 0;
}

int
cmd_tokens(struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2)
		usage("tokens needs list, create or revoke");
	if (strcmp(argv[1], "list") == 0)
		return list(ctl, argc - 1, argv + 1);
	if (strcmp(argv[1], "create") == 0)
		return create(ctl, argc - 1, argv + 1);
	if (strcmp(argv[1], "revoke") == 0)
		return revoke(ctl, argc - 1, argv + 1);
	usage("unknown tokens command \"%s\"", argv[1]);
}
