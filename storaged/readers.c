/*
 * readers.c -- the reader threads of storaged (the contract is in readers.h).
 *
 * One mutex guards the queue, the shares and the list of finished jobs.
 * A job belongs to a share (an organization, or one of our daemons'
 * message kinds) from its submission until its reply is sent; the share
 * counts those jobs (used) and the ones running (running).
 */
#include "readers.h"
#include "clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#define SHARE_KEY_MAX	(PROTO_NAME_MAX + ID_SIZE)
#define IDENTITY_MAX	256		/* ZeroMQ routing ids are 1-255 bytes */

struct share {
	char		 key[SHARE_KEY_MAX];	/* "" when the slot is free */
	uint32_t	 used;			/* jobs submitted, reply not sent yet */
	uint32_t	 running;
};

struct job {
	struct job	*next;
	struct share	*share;
	unsigned char	 identity[IDENTITY_MAX];
	size_t		 idlen;
	struct request	 r;			/* r.in unused: the request is a copy */
};

struct readers {
	struct storaged		*sd;
	struct readers_cfg	 cfg;
	pthread_t		*threads;
	uint64_t		 nthreads;		/* started */
	int			 wake_fd;		/* eventfd: replies are waiting */
	_Atomic uint64_t	 head;			/* last committed seq */

	pthread_mutex_t		 mu;
	pthread_cond_t		 work;			/* a job was queued or a share freed */
	struct job		*queue, **queue_tail;	/* waiting, oldest first */
	size_t			 queued;
	struct job		*done;			/* finished, reply not sent */
	struct share		*shares;		/* queue_max + threads slots */
	size_t			 nshares;
	size_t			 active;		/* jobs submitted, reply not sent */
	bool			 stopping;
	atomic_bool		 cancel;		/* stopping: running scans end now */
};

bool
readers_admit(const struct readers_cfg *cfg, size_t queued, size_t share_used)
{
	return queued < cfg->queue_max && share_used < cfg->org_max;
}

uint32_t
readers_share_running_max(const struct readers_cfg *cfg)
{
	return cfg->threads / 2 > 0 ? (uint32_t)(cfg->threads / 2) : 1;
}

/* Whose query this is: its organization or token, else (our daemons) its message. */
static void
share_key(const struct proto_req *q, char key[SHARE_KEY_MAX])
{
	const char *org = "";

	switch (q->type) {
	case MSG_CHECKIN_LIST:
		org = q->u.checkin_list.org;
		break;
	case MSG_CHECKIN_GET:
		org = q->u.checkin_get.org;
		break;
	case MSG_MONITOR_GET:
		org = q->u.monitor.org;
		break;
	case MSG_MONITOR_LIST:
		org = q->u.monitor_list.org;
		break;
	case MSG_MONITOR_STATS:
		org = q->u.monitor_stats.org;
		break;
	case MSG_TOKEN_LIST:
		org = q->u.token.org;
		break;
	case MSG_ORG_GET:
		org = q->u.org.org;
		break;
	case MSG_EVENTS_AFTER:
		org = q->u.events_after.org;
		break;
	default:
		break;
	}
	if (org[0] != '\0')
		snprintf(key, SHARE_KEY_MAX, "org:%s", org);
	else if (q->type == MSG_TOKEN_VERIFY)	/* its client, before we know the org */
		snprintf(key, SHARE_KEY_MAX, "tok:%.24s", q->u.token_verify.token);
	else	/* our daemons' queries; and badge.get, all keys in one share: a flood of
		 * badges holds at most LOOM_READ_ORG_QUEUE places and half the readers */
		snprintf(key, SHARE_KEY_MAX, "msg:%s", proto_msg_name(q->type));
}

/* The share of key, taking a free slot for a new one; mu held. */
static struct share *
share_get(struct readers *rd, const char *key)
{
	struct share *free_slot = NULL;

	for (size_t i = 0; i < rd->nshares; i++) {
		if (strcmp(rd->shares[i].key, key) == 0)
			return &rd->shares[i];
		if (free_slot == NULL && rd->shares[i].key[0] == '\0')
			free_slot = &rd->shares[i];
	}
	if (free_slot != NULL)
		strlcpy_loom(free_slot->key, key, sizeof(free_slot->key));
	return free_slot;
}

/* The oldest waiting job whose share may run one more; unlinked.  mu held. */
static struct job *
take(struct readers *rd)
{
	uint32_t	 running_max = readers_share_running_max(&rd->cfg);
	struct job	**p;

	for (p = &rd->queue; *p != NULL; p = &(*p)->next) {
		struct job *j = *p;

		if (j->share->running >= running_max)
			continue;
		*p = j->next;
		if (rd->queue_tail == &j->next)
			rd->queue_tail = p;
		j->next = NULL;
		rd->queued--;
		j->share->running++;
		return j;
	}
	return NULL;
}

/* Answers one query from a read transaction of its own. */
static void
serve(struct readers *rd, struct job *j)
{
	struct db_txn	 t;
	struct ctx	 c = { .sd = rd->sd, .t = &t, .now = clock_now_us(), .r = &j->r };

	if (j->r.req.deadline_us != 0 && j->r.req.deadline_us < clock_real_us()) {
		log_warnx("%s: dropped, its deadline has passed", proto_msg_name(j->r.req.type));
		return;		/* the sender has answered 503 already */
	}
	/* A pending map grow ends the scan (EAGAIN): let it pass, then begin again. */
	for (int tries = 0; tries < 10; tries++) {
		c.head = atomic_load(&rd->head);	/* before the snapshot: it holds head */
		mpw_reset(&j->r.reply);
		if (db_begin(rd->sd->db, &t, false) == 0) {
			t.cancel = &rd->cancel;
			t.deadline_us = j->r.req.deadline_us;
			handle_request(&c);
		}
		if (t.ret != EAGAIN)
			break;
		db_abort(&t);
	}
	if (t.ret == ETIMEDOUT) {
		log_warnx("%s: abandoned, its deadline passed", proto_msg_name(j->r.req.type));
		mpw_reset(&j->r.reply);		/* no reply: the sender has answered 503 */
	} else if (t.ret != 0) {
		if (t.ret != ECANCELED)
			log_error("lmdb: %s: %s", proto_msg_name(j->r.req.type),
			    mdb_strerror(t.ret));
		mpw_reset(&j->r.reply);
		reply_err(&c, ERR_UNAVAILABLE, NULL, "storage is not available");
	}
	db_abort(&t);
}

static void
wake_loop(struct readers *rd)
{
	uint64_t one = 1;

	if (write(rd->wake_fd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		log_warn("readers: eventfd");
}

static void *
reader_main(void *arg)
{
	struct readers	*rd = arg;
	struct job	*j;

	/* Below the writer: a query takes only the CPU that commits leave. */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), (int)rd->cfg.nice) == -1)
		log_warn("reader: setpriority %d", (int)rd->cfg.nice);
	pthread_mutex_lock(&rd->mu);
	while (!rd->stopping) {
		if ((j = take(rd)) == NULL) {
			pthread_cond_wait(&rd->work, &rd->mu);
			continue;
		}
		pthread_mutex_unlock(&rd->mu);
		serve(rd, j);
		pthread_mutex_lock(&rd->mu);
		j->share->running--;
		j->next = rd->done;
		rd->done = j;
		/* The share may run another now, so every reader looks again. */
		pthread_cond_broadcast(&rd->work);
		wake_loop(rd);
	}
	pthread_mutex_unlock(&rd->mu);
	return NULL;
}

struct readers *
readers_new(struct storaged *sd, const struct readers_cfg *cfg)
{
	struct readers	*rd = xcalloc(1, sizeof(*rd));
	int		 rc;

	rd->sd = sd;
	rd->cfg = *cfg;
	rd->queue_tail = &rd->queue;
	rd->nshares = cfg->queue_max + cfg->threads;
	rd->shares = xcalloc(rd->nshares, sizeof(*rd->shares));
	atomic_store(&rd->head, sd->last_seq);
	pthread_mutex_init(&rd->mu, NULL);
	pthread_cond_init(&rd->work, NULL);
	if ((rd->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		log_warn("readers: eventfd");
		readers_destroy(&rd);
		return NULL;
	}
	rd->threads = xcalloc(cfg->threads, sizeof(*rd->threads));
	for (; rd->nthreads < cfg->threads; rd->nthreads++) {
		if ((rc = pthread_create(&rd->threads[rd->nthreads], NULL, reader_main, rd)) != 0) {
			errno = rc;
			log_warn("readers: pthread_create");
			readers_destroy(&rd);
			return NULL;
		}
	}
	return rd;
}

static void
job_free(struct job *j)
{
	mpw_destroy(&j->r.reply);
	free(j);
}

static void
job_forget(struct readers *rd, struct job *j)
{
	if (--j->share->used == 0)
		j->share->key[0] = '\0';
	rd->active--;
	job_free(j);
}

void
readers_destroy(struct readers **rdp)
{
	struct readers	*rd = *rdp;
	struct job	*j;

	if (rd == NULL)
		return;
	/* Queries not started are dropped: their senders time out, nothing changed. */
	pthread_mutex_lock(&rd->mu);
	rd->stopping = true;
	atomic_store(&rd->cancel, true);
	while ((j = rd->queue) != NULL) {
		rd->queue = j->next;
		job_forget(rd, j);
	}
	rd->queue_tail = &rd->queue;
	rd->queued = 0;
	pthread_cond_broadcast(&rd->work);
	pthread_mutex_unlock(&rd->mu);
	for (uint64_t i = 0; i < rd->nthreads; i++)
		pthread_join(rd->threads[i], NULL);
	while ((j = rd->done) != NULL) {
		rd->done = j->next;
		job_free(j);
	}
	if (rd->wake_fd != -1)
		close(rd->wake_fd);
	pthread_cond_destroy(&rd->work);
	pthread_mutex_destroy(&rd->mu);
	free(rd->threads);
	free(rd->shares);
	free(rd);
	*rdp = NULL;
}

/*
 * Drops the waiting jobs whose sender has given up (their deadline has
 * passed): with the readers starved of CPU, they would otherwise hold the
 * queue full while their senders retry.  mu held.
 */
static void
purge_expired(struct readers *rd)
{
	int64_t		 now = clock_real_us();
	struct job	**p = &rd->queue;

	while (*p != NULL) {
		struct job *j = *p;

		if (j->r.req.deadline_us == 0 || j->r.req.deadline_us >= now) {
			p = &j->next;
			continue;
		}
		*p = j->next;
		if (rd->queue_tail == &j->next)
			rd->queue_tail = p;
		rd->queued--;
		job_forget(rd, j);
	}
}

int
readers_submit(struct readers *rd, zframe_t *identity, const struct request *r)
{
	char		 key[SHARE_KEY_MAX];
	struct share	*s;
	struct job	*j;

	if (zframe_size(identity) > IDENTITY_MAX)
		return -1;
	share_key(&r->req, key);
	pthread_mutex_lock(&rd->mu);
	if ((s = share_get(rd, key)) == NULL || !readers_admit(&rd->cfg, rd->queued, s->used)) {
		purge_expired(rd);
		s = share_get(rd, key);		/* the purge may have freed its slot */
	}
	if (s == NULL || !readers_admit(&rd->cfg, rd->queued, s->used)) {
		if (s != NULL && s->used == 0)
			s->key[0] = '\0';
		pthread_mutex_unlock(&rd->mu);
		return -1;
	}
	j = xcalloc(1, sizeof(*j));
	j->share = s;
	j->idlen = zframe_size(identity);
	memcpy(j->identity, zframe_data(identity), j->idlen);
	j->r.req = r->req;
	j->r.decoded = true;
	mpw_init(&j->r.reply);
	s->used++;
	rd->active++;
	*rd->queue_tail = j;
	rd->queue_tail = &j->next;
	rd->queued++;
	pthread_cond_signal(&rd->work);
	pthread_mutex_unlock(&rd->mu);
	return 0;
}

int
readers_fd(const struct readers *rd)
{
	return rd->wake_fd;
}

size_t
readers_answer(struct readers *rd, zsock_t *cmd)
{
	struct job	*list, *j;
	uint64_t	 count;
	size_t		 n = 0, len;

	if (read(rd->wake_fd, &count, sizeof(count)) == -1 && errno != EAGAIN)
		log_warn("readers: eventfd");
	pthread_mutex_lock(&rd->mu);
	list = rd->done;
	rd->done = NULL;
	pthread_mutex_unlock(&rd->mu);
	for (; (j = list) != NULL; n++) {
		list = j->next;
		mpw_data(&j->r.reply, &len);
		if (len > 0) {	/* a query past its deadline gets none */
			zmsg_t *out = zmsg_new();

			zmsg_addmem(out, j->identity, j->idlen);
			proto_append(out, j->r.is_error ? "err" : "ok", &j->r.reply);
			if (zmsg_send(&out, cmd) == -1)
				log_warnx("reply lost: %s", zmq_strerror(zmq_errno()));
			zmsg_destroy(&out);
		}
		pthread_mutex_lock(&rd->mu);
		job_forget(rd, j);
		pthread_mutex_unlock(&rd->mu);
	}
	return n;
}

size_t
readers_busy(struct readers *rd)
{
	size_t n;

	pthread_mutex_lock(&rd->mu);
	n = rd->active;
	pthread_mutex_unlock(&rd->mu);
	return n;
}

void
readers_set_head(struct readers *rd, uint64_t head)
{
	atomic_store(&rd->head, head);
}
