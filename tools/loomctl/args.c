/*
 * args.c -- a subcommand's options and operands; whatever is wrong with
 * them is a usage error that says what (usage() is in main.c).
 */
#include "loomctl.h"

int
args_next(int argc, char **argv, const struct option *opts)
{
	int	 ch;

	opterr = 0;	/* our messages, not getopt's */
	ch = getopt_long(argc, argv, ":", opts, NULL);
	if (ch == ':')
		usage("%s needs a value", argv[optind - 1]);
	if (ch == '?')
		usage("unknown option %s", argv[optind - 1]);
	return ch;
}

void
args_none(int argc, char **argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };

	args_next(argc, argv, none);	/* any option is unknown: a usage error */
}

const char *
args_operand(int argc, char **argv, const char *command, const char *what)
{
	if (optind >= argc)
		usage("%s needs a %s", command, what);
	if (optind + 1 < argc)
		usage("%s takes one %s, not also \"%s\"", command, what, argv[optind + 1]);
	return argv[optind];
}

json_t *
args_integer(const char *option, const char *value)
{
	char		*end;
	long long	 n;

	errno = 0;
	n = strtoll(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0')
		usage("--%s: \"%s\" is not a number", option, value);
	return json_integer(n);
}

json_t *
args_text(const char *option, const char *value)
{
	json_t	*s = json_string(value);

	if (s == NULL)
		usage("--%s: \"%s\" is not UTF-8 text", option, value);
	return s;
}
