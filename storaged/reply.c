/*
 * reply.c -- building a request's reply inside a batch.  Replies are sent
 * only after the batch's transaction is durable (commit.c).
 */
#include "storaged.h"

struct mpw *
reply_ok(struct ctx *c)
{
	c->r->is_error = false;
	proto_reply_begin(&c->r->reply, c->r->req.rid);
	return &c->r->reply;
}

void
reply_done(struct ctx *c)
{
	mpw_map_end(&c->r->reply);
}

void
reply_err(struct ctx *c, enum proto_err code, const char *field, const char *fmt, ...)
{
	char	 msg[256];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->r->is_error = true;
	proto_error_encode(&c->r->reply, c->r->req.rid, code, msg, field);
}
