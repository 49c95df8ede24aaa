/*
 * monitor_edit.c -- loomctl monitors create and monitors update: options
 * become a monitor's fields, POSTed to /api/crons/monitors or PATCHed to
 * /api/crons/monitors/{slug}.  Both take the same options; update sends
 * only the fields given, and can also remove the runtime limit
 * (--no-max-runtime), watch every environment again (--all-envs) and set
 * the status.
 */
#include "loomctl.h"

static const struct option field_options[] = {
	{ "cron", required_argument, NULL, 'c' },
	{ "every", required_argument, NULL, 'e' },
	{ "unit", required_argument, NULL, 'u' },
	{ "name", required_argument, NULL, 'n' },
	{ "tz", required_argument, NULL, 'z' },
	{ "margin", required_argument, NULL, 'm' },
	{ "max-runtime", required_argument, NULL, 'r' },
	{ "failure-threshold", required_argument, NULL, 'f' },
	{ "recovery-threshold", required_argument, NULL, 'R' },
	{ "env", required_argument, NULL, 'E' },
	/* monitors update only */
	{ "no-max-runtime", no_argument, NULL, 'N' },
	{ "all-envs", no_argument, NULL, 'A' },
	{ "status", required_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 },
};

/* The name of the field option whose val is ch. */
static const char *
option_name(int ch)
{
	const struct option	*o = field_options;

	while (o->name != NULL && o->val != ch)
		o++;
	return o->name;
}

/* The schedule of --cron, or of --every and --unit; NULL if neither was given. */
static json_t *
schedule(const char *cron, const char *every, const char *unit)
{
	if (cron != NULL && every != NULL)
		usage("give --cron or --every, not both");
	if (unit != NULL && every == NULL)
		usage("--unit goes with --every");
	if (cron != NULL)
		return json_pack("{s:s,s:o}", "type", "cron", "expression", args_text("cron", cron));
	if (every != NULL)
		return json_pack("{s:s,s:o,s:o}", "type", "interval", "value",
		    args_integer("every", every), "unit", args_text("unit", unit ? unit : "minute"));
	return NULL;
}

/*
 * The monitor fields that the options of argv give (the operand, a slug,
 * is left at argv[optind]).  Creating, the update-only options are usage
 * errors.
 */
static json_t *
fields(int argc, char **argv, bool creating)
{
	json_t		*m = json_object(), *envs = NULL, *sched;
	const char	*cron = NULL, *every = NULL, *unit = NULL;
	bool		 all_envs = false, unlimited = false;
	int		 ch;

	optind = 0;
	while ((ch = args_next(argc, argv, field_options)) != -1) {
		if (creating && strchr("NAs", ch) != NULL)
			usage("--%s is for monitors update", option_name(ch));
		switch (ch) {
		case 'c':
			cron = optarg;
			break;
		case 'e':
			every = optarg;
			break;
		case 'u':
			unit = optarg;
			break;
		case 'n':
			json_object_set_new(m, "name", args_text("name", optarg));
			break;
		case 'z':
			json_object_set_new(m, "timezone", args_text("tz", optarg));
			break;
		case 'm':
			json_object_set_new(m, "checkin_margin_minutes",
			    args_integer("margin", optarg));
			break;
		case 'r':
			json_object_set_new(m, "max_runtime_minutes",
			    args_integer("max-runtime", optarg));
			break;
		case 'N':
			unlimited = true;
			break;
		case 'f':
			json_object_set_new(m, "failure_issue_threshold",
			    args_integer("failure-threshold", optarg));
			break;
		case 'R':
			json_object_set_new(m, "recovery_threshold",
			    args_integer("recovery-threshold", optarg));
			break;
		case 'E':
			if (envs == NULL)
				envs = json_array();
			json_array_append_new(envs, args_text("env", optarg));
			break;
		case 'A':
			all_envs = true;
			break;
		case 's':
			json_object_set_new(m, "status", args_text("status", optarg));
			break;
		}
	}
	if (unlimited && json_object_get(m, "max_runtime_minutes") != NULL)
		usage("give --max-runtime or --no-max-runtime, not both");
	if (unlimited)
		json_object_set_new(m, "max_runtime_minutes", json_null());
	if (all_envs && envs != NULL)
		usage("give --env or --all-envs, not both");
	if (all_envs)
		envs = json_array();
	if (envs != NULL)
		json_object_set_new(m, "environments", envs);
	if ((sched = schedule(cron, every, unit)) != NULL)
		json_object_set_new(m, "schedule", sched);
	else if (creating)
		usage("monitors create needs a schedule: --cron EXPR or --every N");
	return m;
}

int
monitor_create(struct ctl *ctl, int argc, char **argv)
{
	json_t	*m = fields(argc, argv, true), *j;
	long	 status;

	json_object_set_new(m, "slug", args_text("slug", args_operand(argc, argv, "monitors create",
	    "SLUG")));
	status = http_call(ctl, "POST", "/api/crons/monitors", m, &j);
	json_decref(m);
	if (status == -1)
		return EXIT_FATAL;
	return monitor_show(ctl, j, "created");
}

int
monitor_update(struct ctl *ctl, int argc, char **argv)
{
	json_t	*m = fields(argc, argv, false), *j;
	char	*path;
	long	 status;

	path = http_monitor_path(args_operand(argc, argv, "monitors update", "SLUG"), "");
	if (json_object_size(m) == 0)
		usage("monitors update needs a field to change");
	status = http_call(ctl, "PATCH", path, m, &j);
	json_decref(m);
	free(path);
	if (status == -1)
		return EXIT_FATAL;
	return monitor_show(ctl, j, "updated");
}
