/*
 * ping.c -- the ping endpoints (GET, HEAD and POST on /ping/{key}... and
 * /ping/{org-key}/{slug}..., common/proto/pingurl.h), Healthchecks-style:
 * plain "OK" answers ("Created", 201, when ?create=1 made the monitor; /start
 * answers JSON), the body of a POST stored as the check-in's output (its
 * first 10 KiB, whole characters, flagged when cut; a client that cut it
 * itself, such as loom-run keeping the end of a long log, says so with
 * "Loom-Output-Truncated: 1"), and 2xx only once storaged has committed the
 * check-in -- 503 otherwise.  A 503 cannot promise that nothing was
 * recorded (storaged may commit just as the answer gives up), so a client
 * that retries sends an Idempotency-Key (a run's /start and finish: their
 * rid) and a retry records nothing twice.
 * h2o refuses a body over LOOM_BODY_MAX before we see it (respond.c gives
 * that answer its JSON).
 */
#include "ingestd.h"
#include "output.h"
#include "pingurl.h"

/*
 * /start answers in JSON whether or not the monitor records it: the run's
 * id, or null when the monitor is disabled.
 */
static void
reply_start(struct call *c, const struct reply_checkin_record *a, int status)
{
	respond_ping_json(c->req, status, json_pack("{s:s?,s:b}", "checkin_id",
	    a->recorded ? a->checkin_id : NULL, "recorded", a->recorded));
}

static void
reply_ping(struct call *c, const struct rpc_reply *r)
{
	struct reply_checkin_record	 a;

	if (!r->ok) {
		switch (r->code) {
		case ERR_NOT_FOUND:
			respond_ping(c->req, 404, "not found\n");
			break;
		case ERR_BAD_REQUEST:
		case ERR_MONITOR_LIMIT:
		case ERR_ENV_LIMIT:
		case ERR_IDEM_REUSED:
			respond_rpc_error(c->req, r);
			break;
		default:
			respond_ping(c->req, 503, "storage unavailable: maybe not recorded; "
			    "a retry with the same Idempotency-Key is safe\n");
			break;
		}
		return;
	}
	/* Healthchecks answers 201 when ?create=1 made the monitor. */
	if (!call_reply(c, r, &a))
		return;
	if (a.kind == KIND_START)
		reply_start(c, &a, a.created ? 201 : 200);
	else
		respond_ping(c->req, a.created ? 201 : 200, a.created ? "Created\n" : "OK\n");
}

/* True when the request has header name (lowercase) with the value "1" or "true". */
static bool
header_true(h2o_req_t *req, const char *name)
{
	ssize_t		 i = h2o_find_header_by_str(&req->headers, name, strlen(name), -1);
	h2o_iovec_t	 v;

	if (i == -1)
		return false;
	v = req->headers.entries[i].value;
	return h2o_memis(v.base, v.len, H2O_STRLIT("1")) ||
	    h2o_lcstris(v.base, v.len, H2O_STRLIT("true"));
}

int
ping_handle(struct ingestd *ig, h2o_req_t *req)
{
	struct ping_url			 p;
	struct call			*c;
	struct msg_checkin_record	*ck;
	const char			*field = NULL, *why = NULL;

	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
	    !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD")) &&
	    !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"))) {
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL,
		    H2O_STRLIT("GET, HEAD, POST"));
		respond_error(req, 405, "method_not_allowed", NULL, "use GET, HEAD or POST");
		return 0;
	}
	ig->pings++;
	switch (ping_url_parse(req->path.base, req->path.len, &p, &field, &why)) {
	case PING_URL_NOT_FOUND:
		respond_ping(req, 404, "not found\n");
		return 0;
	case PING_URL_BAD:
		respond_error(req, 400, "invalid_field", field, "%s", why);
		return 0;
	case PING_URL_OK:
		break;
	}
	c = call_new(ig, req);
	ck = &call_req(c, MSG_CHECKIN_RECORD)->u.checkin_record;
	memcpy(ck->key, p.key, sizeof(ck->key));
	ck->source = SOURCE_PING;
	ck->exit_code = p.exit_code;
	if (p.path[0] != '\0') {
		/* Whose key it is decides what the path means: storaged knows. */
		memcpy(ck->path, p.path, sizeof(ck->path));
		ck->create = p.create;
	} else {
		/* /ping/{key} reads only as a monitor's plain ping. */
		struct ping_target t;

		(void)ping_path_read("", 0, p.exit_code, false, &t, &field, &why);
		ck->kind = t.kind;
		ck->exit_code = t.exit_code;
	}
	memcpy(ck->run_id, p.run_id, sizeof(ck->run_id));
	memcpy(ck->environment, p.environment, sizeof(ck->environment));
	if (req->entity.base != NULL && req->entity.len > 0) {
		ck->output = req->entity.base;
		ck->output_len = output_cut(req->entity.base, req->entity.len);
		ck->output_truncated = ck->output_len < req->entity.len ||
		    header_true(req, "loom-output-truncated");
	}
	call_send(c, reply_ping);
	return 0;
}
