/*
 * storaged.c -- storaged's state: open the database (bringing its layout
 * up to date), bind the sockets, and on first start create the first
 * organization and its admin token.
 */
#include "storaged.h"
#include "clock.h"
#include "readers.h"
#include "daemon.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

int64_t
storaged_stamp(struct ctx *c)
{
	struct storaged	*sd = c->sd;

	sd->last_stamp = c->now > sd->last_stamp ? c->now : sd->last_stamp + 1;
	return sd->last_stamp;
}

/* Writes the generated admin token for the operator, readable only by us. */
static int
write_token_file(const char *dir, const char *token)
{
	char	 path[PATH_MAX], tmp[PATH_MAX];
	int	 fd;

	snprintf(path, sizeof(path), "%s/admin-token", dir);
	snprintf(tmp, sizeof(tmp), "%s/.admin-token.tmp", dir);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1) {
		log_warn("open %s", tmp);
		return -1;
	}
	if (fchmod(fd, 0600) == -1 || write(fd, token, strlen(token)) != (ssize_t)strlen(token) ||
	    write(fd, "\n", 1) != 1 || fsync(fd) == -1) {
		log_warn("write %s", tmp);
		close(fd);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		log_warn("rename %s", path);
		return -1;
	}
	log_info("admin token written to %s", path);
	return 0;
}

/*
 * First start: the first organization and an admin token for it, from
 * LOOM_ADMIN_TOKEN or fresh.  Later starts: load the organization, and add
 * LOOM_ADMIN_TOKEN if it is set and not known yet.
 */
static int
bootstrap(struct storaged *sd)
{
	struct db_txn		 t;
	struct ctx		 c = { .sd = sd, .t = &t };
	struct token_info	 info;
	struct org		 o;
	char			 secret[TOKEN_SIZE];
	const char		*token = sd->cfg->admin_token;
	MDB_val			 v;
	bool			 generated = false;
	int			 rc;

	if (db_begin(sd->db, &t, true) != 0)
		return -1;
	c.now = clock_now_us();
	if ((rc = db_get(&t, T_META, "root_org", 8, &v)) == 0 && v.mv_size == ID_LEN) {
		memcpy(sd->root_org, v.mv_data, ID_LEN);
		sd->root_org[ID_LEN] = '\0';
	} else if (rc == MDB_NOTFOUND) {
		orgs_insert(&c, "default", (uint32_t)sd->cfg->monitor_limit,
		    (uint32_t)sd->cfg->environment_limit, &o);
		db_put(&t, T_META, "root_org", 8, o.id, ID_LEN);
		migrate_stamp(&t);
		memcpy(sd->root_org, o.id, sizeof(sd->root_org));
		if (token == NULL) {
			ids_token(secret);
			token = secret;
			generated = true;
		}
		log_info("created the first organization %s", o.id);
	}
	if (token != NULL && t.ret == 0 && !tokens_exists(&t, token))
		tokens_insert(&c, sd->root_org, "admin", SCOPE_ALL, token, &info);
	if ((rc = db_commit(&t)) != 0) {
		log_error("lmdb: bootstrap: %s", mdb_strerror(rc));
		return -1;
	}
	if (generated && write_token_file(sd->cfg->data_dir, secret) == -1)
		return -1;
	return 0;
}

static zsock_t *
bind_socket(int type, const char *endpoint)
{
	zsock_t	*s = zsock_new(type);

	if (s == NULL)
		fatalx("zsock_new failed");
	zsock_set_linger(s, 1000);
	proto_sock_limit(s, PROTO_REQUEST_BYTES_MAX);	/* PUB: only subscriptions come in */
	zsock_set_sndhwm(s, 100000);
	zsock_set_rcvhwm(s, 100000);
	if (type == ZMQ_ROUTER)
		zsock_set_router_mandatory(s, 0);	/* replies to gone peers are dropped */
	if (zsock_attach(s, endpoint, true) == -1) {
		log_error("cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
		zsock_destroy(&s);
		return NULL;
	}
	return s;
}

struct storaged *
storaged_new(const struct storaged_cfg *cfg)
{
	struct storaged	*sd = xcalloc(1, sizeof(*sd));

	sd->cfg = cfg;
	mpw_init(&sd->scratch);
	if (sodium_init() < 0) {
		log_error("libsodium failed to initialize");
		goto fail;
	}
	if (daemon_mkdir(cfg->data_dir, 0700) == -1) {
		log_warn("data directory %s", cfg->data_dir);
		goto fail;
	}
	if (daemon_mkdir(cfg->run_dir, 0700) == -1 || chmod(cfg->run_dir, 0700) == -1) {
		log_warn("run directory %s", cfg->run_dir);
		goto fail;
	}
	if (daemon_lock(cfg->run_dir, "storaged") == -1)
		goto fail;
	if ((sd->db = db_open(cfg->data_dir, cfg->map_size)) == NULL)
		goto fail;
	if (events_load(sd) == -1 || migrate(sd) == -1 || bootstrap(sd) == -1)
		goto fail;
	if ((sd->readers = readers_new(sd, &cfg->readers)) == NULL)
		goto fail;
	if ((sd->cmd = bind_socket(ZMQ_ROUTER, cfg->cmd_endpoint)) == NULL ||
	    (sd->pub = bind_socket(ZMQ_PUB, cfg->pub_endpoint)) == NULL)
		goto fail;
	log_info("database %s: %zu MiB map, events %" PRIu64 "-%" PRIu64, cfg->data_dir,
	    db_map_size(sd->db) >> 20, sd->first_seq, sd->last_seq);
	return sd;
fail:
	storaged_destroy(&sd);
	return NULL;
}

void
storaged_destroy(struct storaged **sdp)
{
	struct storaged	*sd = *sdp;

	if (sd == NULL)
		return;
	if (sd->too_many_refused > 1)
		log_warnx("command: %" PRIu64 " messages over %d requests were refused",
		    sd->too_many_refused, PROTO_BATCH_MAX);
	readers_destroy(&sd->readers);	/* before the database they read */
	for (size_t i = 0; i < sd->batch_cap; i++)
		mpw_destroy(&sd->batch[i].reply);
	free(sd->batch);
	free(sd->msgs);
	mpw_destroy(&sd->scratch);
	events_discard(sd);
	free(sd->staged);
	zsock_destroy(&sd->cmd);
	zsock_destroy(&sd->pub);
	db_close(&sd->db);
	free(sd);
	*sdp = NULL;
}
