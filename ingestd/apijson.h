/*
 * apijson.h -- JSON request bodies of the admin and SDK API into wire
 * requests, with the field named on every error.  Pure (fuzzed): the
 * results borrow strings from the json_t, which must outlive them.
 *
 * Field names are the JSON members of the request; the documented
 * aliases are accepted too (Sentry's "checkin_margin", "max_runtime",
 * {"type": "crontab", "value": ...}, and {"type": "interval", "minutes": N}).
 */
#ifndef LOOM_INGESTD_APIJSON_H
#define LOOM_INGESTD_APIJSON_H

#include <jansson.h>

#include "proto.h"

struct api_error {
	int		 status;	/* HTTP status: 400 */
	const char	*code;		/* "invalid_field", "invalid_json" */
	char		 field[64];	/* JSON member, or "" (a copy: outlives the body) */
	char		 message[200];
};

/* A monitor (create: slug and schedule required; update: any subset). */
int	 api_spec_from_json(const json_t *, bool creating, struct monitor_spec *,
	    struct api_error *);
/* POST /api/crons/monitors/{slug}/checkins. */
int	 api_checkin_from_json(const json_t *, struct msg_checkin_record *, struct api_error *);
/* PATCH /api/crons/checkins/{id}. */
int	 api_checkin_update_from_json(const json_t *, struct msg_checkin_update *,
	    struct api_error *);
/* A channel (create: kind and what the kind needs required; update: any subset). */
int	 api_channel_from_json(const json_t *, bool creating, struct channel_spec *,
	    struct api_error *);
/* POST /api/crons/monitors/{slug}/mute: {until | minutes, window}. */
int	 api_mute_from_json(const json_t *, struct monitor_spec *, struct api_error *);
/* POST /api/crons/tokens. */
int	 api_token_from_json(const json_t *, struct msg_token *, struct api_error *);
/* POST /api/crons/organizations. */
int	 api_org_from_json(const json_t *, struct msg_org *, struct api_error *);

/* Parses a body; NULL with err set ("invalid_json") unless it is a JSON object. */
json_t	*api_parse_body(const char *body, size_t len, struct api_error *);

#endif
