/*
 * fuzz_proto.c -- libFuzzer target for the wire decoders (common/proto/proto.c,
 * common/lib/mpk.c): the first input byte picks a message type, the rest is
 * the msgpack body.  Every request decoder, every reply decoder (with the
 * records of its arrays), the event decoder and the record decoders must
 * reject garbage without crashing or leaking.
 */
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "proto.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
records(const msgpack_object *obj)
{
	struct mpr_err		 err = { 0 };
	struct mpr		 r;
	struct monitor		 m;
	struct monitor_spec	 s;
	struct checkin		 c;
	struct stats		 st;
	struct org		 o;
	struct token_info	 t;

	mpr_init(&r, obj, &err);
	proto_monitor_decode(&r, &m);
	memset(&err, 0, sizeof(err));
	proto_spec_decode(&r, &s);
	memset(&err, 0, sizeof(err));
	proto_checkin_decode(&r, &c);
	memset(&err, 0, sizeof(err));
	proto_stats_decode(&r, &st);
	memset(&err, 0, sizeof(err));
	proto_org_decode(&r, &o);
	memset(&err, 0, sizeof(err));
	proto_token_info_decode(&r, &t);
}

/* The reply of type, and the records of whichever array it borrows. */
static void
replies(enum proto_msg type, const msgpack_object *obj)
{
	union {
		struct reply_ping		 p;
		struct reply_token_verify	 tv;
		struct reply_checkin_record	 cr;
		struct reply_checkin		 c;
		struct reply_monitor		 m;
		struct reply_monitor_list	 ml;
		struct reply_checkin_list	 cl;
		struct reply_monitor_stats	 st;
		struct reply_token_create	 tc;
		struct reply_token_list		 tl;
		struct reply_org_create		 oc;
		struct reply_org		 o;
		struct proto_events_page	 ea;
		struct reply_snapshot		 sn;
		struct reply_verdict		 v;
		struct proto_schedd_status	 ss;
		struct reply_session_create	 se;
		struct reply_badge		 b;
		struct reply_channel_create	 chc;
		struct reply_channel		 ch;
		struct reply_channel_list	 chl;
		struct reply_channel_test	 cht;
		struct reply_channel_progress	 chp;
		struct reply_delivery_list	 dl;
	} a;	/* every reply struct: the decoder writes the whole one of type */
	union {
		struct monitor		 m;
		struct checkin		 c;
		struct token_info	 t;
		struct proto_track	 tr;
		struct proto_run	 r;
	} rec;
	struct mpr_err		 err;
	const msgpack_object_array *arr = NULL;

	if (proto_reply_decode(type, obj, &a, &err) == 0) {
		if (type == MSG_MONITOR_LIST)
			for (uint32_t i = 0; i < a.ml.monitors->size; i++)
				(void)proto_monitor_at(a.ml.monitors, i, &rec.m, &err);
		else if (type == MSG_CHECKIN_LIST)
			for (uint32_t i = 0; i < a.cl.checkins->size; i++)
				(void)proto_checkin_at(a.cl.checkins, i, &rec.c, &err);
		else if (type == MSG_TOKEN_LIST)
			for (uint32_t i = 0; i < a.tl.tokens->size; i++)
				(void)proto_token_at(a.tl.tokens, i, &rec.t, &err);
		else if (type == MSG_SNAPSHOT)
			for (uint32_t i = 0; i < a.sn.monitors->size; i++)
				if (proto_track_at(a.sn.monitors, i, &rec.tr, &err) == 0 &&
				    (arr = rec.tr.runs) != NULL)
					for (uint32_t j = 0; j < arr->size; j++)
						(void)proto_run_at(arr, j, &rec.r, &err);
	}
	(void)codec_decode(obj, &proto_schedd_status_desc, &a.ss, &err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mpk_doc		 doc;
	struct mpr_err		 err;
	struct proto_req	 q;
	struct event		 e;
	const char		*why;
	enum proto_msg		 type;

	if (size < 1)
		return 0;
	type = (enum proto_msg)(data[0] % MSG_MAX);
	if (mpk_parse(&doc, data + 1, size - 1, &why) == 0) {
		(void)proto_req_decode(type, &doc.up.data, &q, &err);
		(void)proto_event_decode(&doc.up.data, &e, &err);
		records(&doc.up.data);
		replies(type, &doc.up.data);
	}
	mpk_doc_free(&doc);
	return 0;
}
