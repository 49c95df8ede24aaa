/*
 * render.h -- records as the HTTP daemons show them in JSON (jansson):
 * ingestd's API answers and streamd's event frames use the same check-in
 * shape, and every HTTP error has the one shape
 * {"error": {"code", "message", "field"}}.
 *
 * Only ingestd and streamd link jansson; storaged and schedd never pull
 * this archive member in.
 */
#ifndef LOOM_RENDER_H
#define LOOM_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "model.h"

/* An instant (UTC microseconds) as an RFC 3339 string; null for 0.  New reference. */
json_t	*render_time(int64_t us);

/*
 * A check-in as the API shows it.  with_output: include "output" (as
 * UTF-8 text, invalid bytes replaced by U+FFFD); events carry none.
 * New reference.
 */
json_t	*render_checkin(const struct checkin *, bool with_output);

/*
 * {"error": {"code", "message", "field"}}; field is null when NULL
 * or "".  New reference.
 */
json_t	*render_error(const char *code, const char *field, const char *message);

#endif
