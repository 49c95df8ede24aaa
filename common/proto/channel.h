/*
 * channel.h -- alert channels (docs/alerts.md): their specs (validated
 * alike by ingestd, which answers 400 naming the field, and storaged,
 * which trusts no peer), applying a partial update, and the codecs of the
 * channel and delivery records.
 */
#ifndef LOOM_CHANNEL_H
#define LOOM_CHANNEL_H

#include "mpk.h"
#include "model.h"

#define CHANNEL_WHY_MAX		160

#define EVENT_BIT(t)		(UINT32_C(1) << (t))
/* A new channel's events filter: a problem and its end. */
#define CHANNEL_EVENTS_DEFAULT	(EVENT_BIT(EVENT_MONITOR_MISSED) |			\
	EVENT_BIT(EVENT_MONITOR_TIMEOUT) | EVENT_BIT(EVENT_CHECKIN_ERROR) |		\
	EVENT_BIT(EVENT_MONITOR_HEALTHY))
/* What a channel may ask for (reminders follow the failure they repeat). */
#define CHANNEL_EVENTS_ALLOWED	(CHANNEL_EVENTS_DEFAULT |				\
	EVENT_BIT(EVENT_CHECKIN_STARTED) | EVENT_BIT(EVENT_CHECKIN_OK) |		\
	EVENT_BIT(EVENT_CHANNEL_FAILING))

/* The user-settable part of a channel; only fields whose CHSPEC_* bit is set mean anything. */
struct channel_spec {
	uint32_t		 set;
	struct channel		 ch;
};

#define CHSPEC_NAME		0x001
#define CHSPEC_KIND		0x002
#define CHSPEC_URL		0x004
#define CHSPEC_HEADERS		0x008
#define CHSPEC_RECIPIENTS	0x010
#define CHSPEC_PRIORITY		0x020
#define CHSPEC_EVENTS		0x040
#define CHSPEC_MONITORS		0x080
#define CHSPEC_ENABLED		0x100

/*
 * Checks every set field against the channel's kind (s's when creating,
 * else kind): that a new channel has what its kind needs, and no field
 * belongs to another kind.  0, or -1 with *field naming the JSON field and
 * why saying what is wrong.  The network policy of URLs is not checked
 * here (it needs a lookup: ingestd does it).
 */
int	 channel_spec_validate(const struct channel_spec *, bool creating,
	    enum channel_kind kind, const char **field, char why[CHANNEL_WHY_MAX]);

/* Copies the set fields of a validated spec into ch. */
void	 channel_apply(struct channel *, const struct channel_spec *);

/* True when ch takes event e: its filters, its own failure excepted. */
bool	 channel_wants(const struct channel *, const struct event *);

bool	 model_email_valid(const char *);
bool	 model_header_name_valid(const char *);	/* an HTTP token, not one we set */

/*
 * Records.  A channel's secret and position are written only when
 * with_internal: they are storaged's and streamd's, never the API's.
 */
void	 proto_channel_encode(struct mpw *, const struct channel *, bool with_internal);
void	 proto_channel_decode(struct mpr *, struct channel *);
void	 proto_channel_spec_encode(struct mpw *, const struct channel_spec *);
void	 proto_channel_spec_decode(struct mpr *, struct channel_spec *);
void	 proto_delivery_encode(struct mpw *, const struct delivery *);
void	 proto_delivery_decode(struct mpr *, struct delivery *);

#endif
