/*
 * fuzz_proto.c -- libFuzzer target for the wire decoders (common/proto/proto.c,
 * common/lib/mpk.c): the first input byte picks a message type, the rest is
 * the msgpack body.  Every request decoder, the event decoder and the
 * record decoders must reject garbage without crashing or leaking.
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
	}
	mpk_doc_free(&doc);
	return 0;
}
