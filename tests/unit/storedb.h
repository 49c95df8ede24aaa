/*
 * storedb.h -- a storaged database on a real LMDB environment in a scratch
 * directory, with the context handlers work in, for the tests of
 * storaged's modules (test_records.c, test_migrate.c).  Include after
 * testlib.h and storaged/records.h; T0 is the context's clock.
 */
#ifndef LOOM_TEST_STOREDB_H
#define LOOM_TEST_STOREDB_H

struct fixture {
	char			*dir;
	struct storaged_cfg	 cfg;
	struct storaged		 sd;
	struct db_txn		 t;
	struct ctx		 c;
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->dir = tmpdir_new();
	f->sd.cfg = &f->cfg;
	mpw_init(&f->sd.scratch);
	if ((f->sd.db = db_open(f->dir, 16 << 20)) == NULL)
		return -1;
	f->c.sd = &f->sd;
	f->c.t = &f->t;
	f->c.now = T0;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	db_abort(&f->t);
	db_close(&f->sd.db);
	mpw_destroy(&f->sd.scratch);
	tmpdir_remove(&f->dir);
	free(f);
	return 0;
}

#endif
