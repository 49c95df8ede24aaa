/*
 * reply.c -- building a request's reply inside a batch, from the reply
 * struct of its message (proto.h).  Replies are sent only after the
 * batch's transaction is durable (commit.c).
 */
#include "storaged.h"

void
reply_send(struct ctx *c, const void *reply)
{
	c->r->is_error = false;
	proto_reply_encode(&c->r->reply, c->r->req.rid, c->r->req.type, reply);
}

struct mpw *
reply_open(struct ctx *c, const void *reply)
{
	c->r->is_error = false;
	proto_reply_open(&c->r->reply, c->r->req.rid, c->r->req.type, reply);
	return &c->r->reply;
}

void
reply_close(struct ctx *c, const void *reply)
{
	proto_reply_close(&c->r->reply, c->r->req.type, reply);
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
