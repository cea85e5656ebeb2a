// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for xfrm_dst_acct.
 *
 * xfrm_dst_acct_model drives real dst_alloc()/dst_release_immediate() on
 * dst_ops laid out the way the kernel lays out per-namespace copies: on
 * affected kernels by struct copy of an initialised template (sharing its
 * slots), on fixed kernels with a percpu_counter_init() per copy.  Work is
 * done on each CPU by bound kthreads.
 *
 * xfrm_dst_acct_netns looks at the real namespaces of the machine, made by
 * the test harness before and after the module was loaded, and allocates
 * real xfrm dst entries in them.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/percpu_counter.h>
#include <linux/pid.h>
#include <linux/random.h>
#include <linux/rtnetlink.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/dst.h>
#include <net/net_namespace.h>
#include <net/xfrm.h>

#include "xfrm_dst_acct.h"

MODULE_IMPORT_NS(XDA_KUNIT_NS);

/*
 * What the harness tells the suites, one key=value a line:
 *   expect_affected=yes|no   whether the module must find the kernel affected
 *   victim_pid=N             a process alone in a namespace it may destroy
 *   cases=none               skip every case: the module is loaded only for
 *                            its parameters (fault injection)
 * A file, because KUnit runs a module's suites before its parameters are set.
 */
#define SETTINGS_PATH "/run/xfrm_dst_acct_test.conf"

/*
 * For fault injection from the harness once the suites have run: writing
 * N makes the module's Nth storage allocation from now fail (0: none).
 */
static int fail_nth_storage_alloc_set(const char *val,
				      const struct kernel_param *kp)
{
	unsigned int nth;
	int err = kstrtouint(val, 10, &nth);

	if (err)
		return err;
	xda_fail_nth_alloc(nth);
	return 0;
}

static const struct kernel_param_ops fail_nth_ops = {
	.set = fail_nth_storage_alloc_set,
};

module_param_cb(fail_nth_storage_alloc, &fail_nth_ops, NULL, 0200);
MODULE_PARM_DESC(fail_nth_storage_alloc,
		 "make the module's Nth storage allocation from now fail");

/* For the harness's leak checks: storage allocated and not yet freed. */
static int storage_outstanding_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%ld\n", xda_storage_outstanding());
}

static const struct kernel_param_ops storage_outstanding_ops = {
	.get = storage_outstanding_get,
};

module_param_cb(storage_outstanding, &storage_outstanding_ops, NULL, 0444);
MODULE_PARM_DESC(storage_outstanding,
		 "read-only: the module's storage allocated and not yet freed");

#define BATCH		32	/* DST_PERCPU_COUNTER_BATCH */
#define MODEL_NETS	4
#define HELD_MAX	512

static struct kmem_cache *xda_test_cache;

/* ---- dst entries allocated and freed on a chosen CPU ---- */

struct dst_job {
	struct dst_ops *ops;
	struct dst_entry **dst;
	int n;
	bool xfrm;
};

static struct dst_entry *dst_new(struct dst_ops *ops, bool xfrm)
{
	struct dst_entry *dst = xda_dst_alloc(ops, DST_OBSOLETE_NONE, 0);

	/* What xfrm_alloc_dst() does, so that xfrm's destroy hook is safe. */
	if (dst && xfrm)
		memset_after((struct xfrm_dst *)dst, 0, u.dst);
	return dst;
}

static long dst_job_alloc(void *arg)
{
	struct dst_job *job = arg;
	int i;

	for (i = 0; i < job->n; i++) {
		job->dst[i] = dst_new(job->ops, job->xfrm);
		if (!job->dst[i])
			return i;
	}
	return i;
}

static long dst_job_free(void *arg)
{
	struct dst_job *job = arg;
	int i;

	for (i = 0; i < job->n; i++)
		dst_release_immediate(job->dst[i]);
	return i;
}

static void alloc_on(struct kunit *test, int cpu, struct dst_ops *ops,
		     struct dst_entry **dst, int n, bool xfrm)
{
	struct dst_job job = { ops, dst, n, xfrm };

	KUNIT_ASSERT_EQ(test, work_on_cpu(cpu, dst_job_alloc, &job), (long)n);
}

static void free_on(int cpu, struct dst_entry **dst, int n)
{
	struct dst_job job = { NULL, dst, n, false };

	work_on_cpu(cpu, dst_job_free, &job);
}

static s64 exact(struct dst_ops *ops)
{
	return percpu_counter_sum(&ops->pcpuc_entries);
}

/* A percpu address as a plain one, for KUnit's pointer comparisons. */
static const void *storage_of(struct dst_ops *ops)
{
	return (const void __force *)ops->pcpuc_entries.counters;
}

static s32 slot_of(struct dst_ops *ops, int cpu)
{
	return *per_cpu_ptr(ops->pcpuc_entries.counters, cpu);
}

/* ---- a model of the per-namespace copies ---- */

struct model {
	bool shared;
	struct dst_ops template;
	struct dst_ops ns[MODEL_NETS];
	struct xda_slot slot[MODEL_NETS];
};

static struct model *model_new(struct kunit *test, bool shared)
{
	struct model *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, m);
	m->shared = shared;
	m->template.family = AF_UNSPEC;
	m->template.gc_thresh = INT_MAX;
	m->template.kmem_cachep = xda_test_cache;
	if (shared)	/* affected: the template is initialised once */
		KUNIT_ASSERT_EQ(test, dst_entries_init(&m->template), 0);
	for (i = 0; i < MODEL_NETS; i++) {
		memcpy(&m->ns[i], &m->template, sizeof(m->template));
		if (!shared)	/* fixed: each copy gets its own */
			KUNIT_ASSERT_EQ(test, dst_entries_init(&m->ns[i]), 0);
		xda_slot_init(&m->slot[i], &m->ns[i].pcpuc_entries, true);
		m->slot[i].kernel_shared = shared;
	}
	return m;
}

static void model_batch(struct model *m, int first, int n,
			struct list_head *batch)
{
	int i;

	for (i = first; i < first + n; i++)
		list_add_tail(&m->slot[i].batch_node, batch);
}

static void batch_clear(struct list_head *batch)
{
	struct xda_slot *slot, *tmp;

	list_for_each_entry_safe(slot, tmp, batch, batch_node)
		list_del_init(&slot->batch_node);
}

static void model_attach(struct kunit *test, struct model *m, int first,
			 int n)
{
	LIST_HEAD(batch);

	model_batch(m, first, n, &batch);
	KUNIT_ASSERT_EQ(test, xda_batch_prepare(&batch), 0);
	xda_batch_install_live(&batch);
	batch_clear(&batch);
}

static void model_detach(struct model *m, int first, int n)
{
	LIST_HEAD(batch);
	int i;

	for (i = first; i < first + n; i++)
		if (xda_slot_owned(&m->slot[i]))
			list_add_tail(&m->slot[i].batch_node, &batch);
	if (list_empty(&batch))
		return;
	xda_batch_restore_live(&batch);
	batch_clear(&batch);
}

static void model_free(struct model *m)
{
	int i;

	model_detach(m, 0, MODEL_NETS);
	if (m->shared)
		dst_entries_destroy(&m->template);
	for (i = 0; !m->shared && i < MODEL_NETS; i++)
		dst_entries_destroy(&m->ns[i]);
}

static void need_two_cpus(struct kunit *test)
{
	KUNIT_ASSERT_GE_MSG(test, num_online_cpus(), 2U,
			    "these cases move counts between CPUs");
}

/*
 * Bring CPU 0's slot of @a to exactly BATCH - 1 with allocations of @a,
 * then allocate one entry of @b there.  If @a and @b share slots, that
 * allocation folds @a's entries into @b's count.  Returns how many entries
 * of @a were allocated.
 */
static int cross_fold(struct kunit *test, struct dst_ops *a,
		      struct dst_ops *b, struct dst_entry **held_a,
		      struct dst_entry **held_b, bool xfrm)
{
	int n = BATCH - 1 - slot_of(a, 0);

	alloc_on(test, 0, a, held_a, n, xfrm);
	KUNIT_EXPECT_EQ(test, slot_of(a, 0), BATCH - 1);
	alloc_on(test, 0, b, held_b, 1, xfrm);
	return n;
}

/* The defect: copies of one template leak counts into each other. */
static void shared_storage_leaks(struct kunit *test)
{
	struct model *m = model_new(test, true);
	struct dst_entry *a[2 * BATCH], *b[1];
	int n;

	n = cross_fold(test, &m->ns[0], &m->ns[1], a, b, false);
	/* ns[1] holds 1 entry but was credited with ns[0]'s as well. */
	KUNIT_EXPECT_EQ(test, exact(&m->ns[1]), (s64)BATCH);
	KUNIT_EXPECT_EQ(test, exact(&m->ns[0]), (s64)n - (BATCH - 1));
	KUNIT_EXPECT_NE(test, exact(&m->ns[0]), (s64)n);
	free_on(0, a, n);
	free_on(0, b, 1);
	model_free(m);
}

/* The same traffic with storage of their own: nothing crosses over. */
static void own_storage_isolates(struct kunit *test)
{
	struct model *m = model_new(test, true);
	struct dst_entry *a[2 * BATCH], *b[1];
	int n;

	model_attach(test, m, 0, MODEL_NETS);
	n = cross_fold(test, &m->ns[0], &m->ns[1], a, b, false);
	KUNIT_EXPECT_EQ(test, exact(&m->ns[0]), (s64)n);
	KUNIT_EXPECT_EQ(test, exact(&m->ns[1]), 1LL);
	free_on(0, a, n);
	free_on(0, b, 1);
	KUNIT_EXPECT_EQ(test, exact(&m->ns[0]), 0LL);
	KUNIT_EXPECT_EQ(test, exact(&m->ns[1]), 0LL);
	model_free(m);
}

/* ---- traffic from one kthread bound to each CPU ---- */

struct held {
	struct dst_entry *dst[HELD_MAX];
	int n;
};

struct traffic {
	struct dst_ops *ops[MODEL_NETS];
	struct held *held;		/* [cpu][ns], owned by that CPU */
	int nets;
	bool xfrm;
	bool churn;			/* allocate and free, not only allocate */
};

struct worker {
	struct traffic *t;
	int cpu;
	u32 rnd;
	struct task_struct *task;
};

static struct held *held_of(struct traffic *t, int cpu, int ns)
{
	return &t->held[cpu * MODEL_NETS + ns];
}

static u32 xorshift(u32 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static int worker_fn(void *arg)
{
	struct worker *w = arg;
	struct traffic *t = w->t;
	unsigned long i = 0;

	while (!kthread_should_stop()) {
		u32 r = xorshift(&w->rnd);
		struct held *h = held_of(t, w->cpu, r % t->nets);
		bool grow = h->n < HELD_MAX;

		if (t->churn)
			grow = h->n == 0 || (grow && (r & 0x100));
		if (grow) {
			h->dst[h->n] = dst_new(t->ops[r % t->nets], t->xfrm);
			if (h->dst[h->n])
				h->n++;
		} else if (t->churn) {
			dst_release_immediate(h->dst[--h->n]);
		}
		/*
		 * Where the module waits for preempted adders (6.11+,
		 * synchronize_rcu_tasks()), only a voluntary switch lets it
		 * on: say where one may happen.
		 */
		if (!(++i & 31))
			cond_resched_tasks_rcu_qs();
	}
	return 0;
}

static void traffic_start(struct kunit *test, struct traffic *t,
			  struct worker *w)
{
	int cpu;

	for (cpu = 0; cpu < 2; cpu++) {
		w[cpu].t = t;
		w[cpu].cpu = cpu;
		w[cpu].rnd = get_random_u32() | 1;
		w[cpu].task = kthread_create(worker_fn, &w[cpu], "xda_test/%d",
					     cpu);
		KUNIT_ASSERT_FALSE(test, IS_ERR(w[cpu].task));
		kthread_bind(w[cpu].task, cpu);
		wake_up_process(w[cpu].task);
	}
}

static void traffic_stop(struct worker *w)
{
	kthread_stop(w[0].task);
	kthread_stop(w[1].task);
}

static int live(struct traffic *t, int ns)
{
	return held_of(t, 0, ns)->n + held_of(t, 1, ns)->n;
}

static void traffic_free(struct traffic *t)
{
	int cpu, ns;

	for (cpu = 0; cpu < 2; cpu++) {
		for (ns = 0; ns < t->nets; ns++) {
			struct held *h = held_of(t, cpu, ns);

			free_on(cpu, h->dst, h->n);
			h->n = 0;
		}
	}
}

static struct traffic *traffic_new(struct kunit *test, struct dst_ops **ops,
				   int nets, bool xfrm)
{
	struct traffic *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->held = kunit_kcalloc(test, 2 * MODEL_NETS, sizeof(*t->held),
				GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->held);
	for (i = 0; i < nets; i++)
		t->ops[i] = ops[i];
	t->nets = nets;
	t->xfrm = xfrm;
	t->churn = true;
	return t;
}

/*
 * Every namespace's exact count equals its own live entries at every
 * checkpoint, and returns to its start after all frees.
 */
static void checkpoints_match_live(struct kunit *test, struct traffic *t,
				   const s64 *base, int rounds)
{
	struct worker w[2];
	int round, ns;

	for (round = 0; round < rounds; round++) {
		traffic_start(test, t, w);
		msleep(50);
		traffic_stop(w);
		for (ns = 0; ns < t->nets; ns++)
			KUNIT_EXPECT_EQ_MSG(test, exact(t->ops[ns]),
					    base[ns] + live(t, ns),
					    "namespace %d, round %d", ns, round);
	}
	traffic_free(t);
	for (ns = 0; ns < t->nets; ns++)
		KUNIT_EXPECT_EQ(test, exact(t->ops[ns]), base[ns]);
}

static void both_cpus_no_leak(struct kunit *test)
{
	struct model *m = model_new(test, true);
	struct dst_ops *ops[MODEL_NETS];
	s64 base[MODEL_NETS] = { 0 };
	int i;

	need_two_cpus(test);
	model_attach(test, m, 0, MODEL_NETS);
	for (i = 0; i < MODEL_NETS; i++)
		ops[i] = &m->ns[i];
	checkpoints_match_live(test, traffic_new(test, ops, MODEL_NETS, false),
			       base, 8);
	model_free(m);
}

/*
 * Attach and detach again and again while both CPUs allocate and free:
 * with private storage every update must survive each hand-over.
 */
static void attach_under_load_loses_nothing(struct kunit *test)
{
	struct model *m = model_new(test, false);
	struct dst_ops *ops[MODEL_NETS];
	struct traffic *t;
	struct worker w[2];
	int i, cycle;

	need_two_cpus(test);
	for (i = 0; i < MODEL_NETS; i++)
		ops[i] = &m->ns[i];
	t = traffic_new(test, ops, MODEL_NETS, false);
	traffic_start(test, t, w);
	for (cycle = 0; cycle < 20; cycle++) {
		model_attach(test, m, 0, MODEL_NETS);
		msleep(20);
		model_detach(m, 0, MODEL_NETS);
		msleep(20);
	}
	model_attach(test, m, 0, MODEL_NETS);
	traffic_stop(w);
	for (i = 0; i < MODEL_NETS; i++)
		KUNIT_EXPECT_EQ(test, exact(&m->ns[i]), (s64)live(t, i));
	traffic_free(t);
	for (i = 0; i < MODEL_NETS; i++)
		KUNIT_EXPECT_EQ(test, exact(&m->ns[i]), 0LL);
	model_free(m);
}

/*
 * Seeds: private storage keeps its value; shared storage starts from zero,
 * so a namespace that drifted up to the limit recovers at once.
 */
static void attach_seeds(struct kunit *test)
{
	struct model *priv = model_new(test, false);
	struct model *shr = model_new(test, true);
	struct dst_entry *a[2 * BATCH], *b[BATCH];

	alloc_on(test, 0, &priv->ns[0], a, 10, false);
	model_attach(test, priv, 0, 1);
	KUNIT_EXPECT_EQ(test, priv->slot[0].attach_value, 10LL);
	KUNIT_EXPECT_EQ(test, exact(&priv->ns[0]), 10LL);
	free_on(0, a, 10);
	KUNIT_EXPECT_EQ(test, exact(&priv->ns[0]), 0LL);

	/* ns[1] has 1 entry but its count says BATCH: an over-count. */
	cross_fold(test, &shr->ns[0], &shr->ns[1], a, b, false);
	KUNIT_ASSERT_EQ(test, exact(&shr->ns[1]), (s64)BATCH);
	model_attach(test, shr, 1, 1);
	KUNIT_EXPECT_EQ(test, shr->slot[1].attach_value, (s64)BATCH);
	KUNIT_EXPECT_EQ(test, exact(&shr->ns[1]), 0LL);
	alloc_on(test, 1, &shr->ns[1], b + 1, 3, false);
	KUNIT_EXPECT_EQ(test, exact(&shr->ns[1]), 3LL);
	free_on(0, a, BATCH - 1);
	free_on(1, b, 4);
	/* The entry alive at attach is subtracted once more. */
	KUNIT_EXPECT_EQ(test, exact(&shr->ns[1]), -1LL);
	model_free(priv);
	model_free(shr);
}

/* Detach: each count is the same just before and just after. */
static void detach_is_continuous(struct kunit *test)
{
	struct dst_ops *ops[MODEL_NETS];
	s64 before[MODEL_NETS];
	int shared, i;

	need_two_cpus(test);
	for (shared = 0; shared < 2; shared++) {
		struct model *m = model_new(test, shared);
		struct traffic *t;
		struct worker w[2];

		for (i = 0; i < MODEL_NETS; i++)
			ops[i] = &m->ns[i];
		model_attach(test, m, 0, MODEL_NETS);
		t = traffic_new(test, ops, MODEL_NETS, false);
		t->churn = false;
		traffic_start(test, t, w);
		msleep(30);
		traffic_stop(w);
		for (i = 0; i < MODEL_NETS; i++) {
			before[i] = exact(&m->ns[i]);
			KUNIT_EXPECT_EQ(test, before[i], (s64)live(t, i));
		}
		model_detach(m, 0, MODEL_NETS);
		for (i = 0; i < MODEL_NETS; i++)
			KUNIT_EXPECT_EQ_MSG(test, exact(&m->ns[i]), before[i],
					    "shared=%d ns=%d", shared, i);
		if (!shared) {
			traffic_free(t);
			for (i = 0; i < MODEL_NETS; i++)
				KUNIT_EXPECT_EQ(test, exact(&m->ns[i]), 0LL);
		} else {
			/* Shared again: only the sum over all is kept. */
			traffic_free(t);
		}
		model_free(m);
	}
}

/*
 * A CPU taken offline while its slot holds entries: the sum only adds up
 * online CPUs, and the kernel folds dead slots only for counters on its
 * list, which copies of a template are not.
 */
static void cpu_offline_keeps_share(struct kunit *test)
{
	struct model *m = model_new(test, true);
	struct dst_entry *a[BATCH];
	int err;

	need_two_cpus(test);
	if (!IS_ENABLED(CONFIG_HOTPLUG_CPU))
		kunit_skip(test, "no CPU hotplug in this kernel");
	model_attach(test, m, 0, 1);
	alloc_on(test, 1, &m->ns[0], a, 10, false);
	KUNIT_ASSERT_EQ(test, slot_of(&m->ns[0], 1), 10);

	err = remove_cpu(1);
	KUNIT_ASSERT_EQ_MSG(test, err, 0, "cannot take CPU 1 offline");
	KUNIT_EXPECT_EQ(test, exact(&m->ns[0]), 10LL);
	free_on(0, a, 10);
	KUNIT_EXPECT_EQ(test, exact(&m->ns[0]), 0LL);
	KUNIT_ASSERT_EQ(test, add_cpu(1), 0);
	KUNIT_EXPECT_EQ(test, exact(&m->ns[0]), 0LL);
	KUNIT_EXPECT_EQ(test, slot_of(&m->ns[0], 1), 0);
	model_free(m);
}

/*
 * Private kernel storage (fixed kernels, mode=force) is left as it is
 * while ours is installed, so a CPU that dies meanwhile leaves its slot
 * of it unfolded: the kernel folds whatever fbc->counters points to.
 * Handing the storage back, by unload or as the namespace goes, must not
 * lose that slot's share while the CPU is still offline.
 */
static void cpu_offline_private_storage(struct kunit *test)
{
	struct model *m = model_new(test, false);
	struct dst_entry *a[BATCH], *b[BATCH];

	need_two_cpus(test);
	if (!IS_ENABLED(CONFIG_HOTPLUG_CPU))
		kunit_skip(test, "no CPU hotplug in this kernel");
	alloc_on(test, 1, &m->ns[0], a, 10, false);
	alloc_on(test, 1, &m->ns[1], b, 7, false);
	KUNIT_ASSERT_EQ(test, slot_of(&m->ns[0], 1), 10);
	model_attach(test, m, 0, 2);

	KUNIT_ASSERT_EQ_MSG(test, remove_cpu(1), 0, "cannot take CPU 1 offline");
	KUNIT_EXPECT_EQ(test, exact(&m->ns[0]), 10LL);
	KUNIT_EXPECT_EQ(test, exact(&m->ns[1]), 7LL);
	model_detach(m, 0, 1);			/* unload */
	KUNIT_EXPECT_EQ(test, exact(&m->ns[0]), 10LL);
	xda_slot_retire_begin(&m->slot[1]);	/* namespace dismantled */
	xda_wait_for_adders();
	xda_slot_retire_end(&m->slot[1]);
	KUNIT_EXPECT_EQ(test, exact(&m->ns[1]), 7LL);
	free_on(0, a, 10);
	free_on(0, b, 7);
	KUNIT_EXPECT_EQ(test, exact(&m->ns[0]), 0LL);
	KUNIT_EXPECT_EQ(test, exact(&m->ns[1]), 0LL);
	KUNIT_ASSERT_EQ(test, add_cpu(1), 0);
	KUNIT_EXPECT_EQ(test, exact(&m->ns[0]), 0LL);
	KUNIT_EXPECT_EQ(test, exact(&m->ns[1]), 0LL);
	model_free(m);
}

/* ---- an adder on each CPU while the storage changes hands ---- */

struct adder {
	struct percpu_counter *fbc;
	long adds;
	struct task_struct *task;
};

static int adder_fn(void *arg)
{
	struct adder *a = arg;

	while (!kthread_should_stop()) {
		percpu_counter_add_batch(a->fbc, 1, BATCH);
		/* A kernel thread that never sleeps must say where it may. */
		if (!(++a->adds & 1023))
			cond_resched_tasks_rcu_qs();
	}
	return 0;
}

/*
 * Where an adder can be preempted between loading fbc->counters and
 * updating the slot (compat.h: 6.11 and later), the stopper thread of
 * every stop_machine() preempts the adder running on its CPU, often right
 * there; it resumes after the swap with the old pointer.  Every update
 * must be counted all the same, and none may land in freed storage.
 */
static void swap_under_busy_adders(struct kunit *test)
{
	struct model *m = model_new(test, false);
	struct adder a[2] = { { .fbc = &m->ns[0].pcpuc_entries },
			      { .fbc = &m->ns[0].pcpuc_entries } };
	int cpu, cycle;

	need_two_cpus(test);
	for (cpu = 0; cpu < 2; cpu++) {
		a[cpu].task = kthread_create(adder_fn, &a[cpu], "xda_adder/%d",
					     cpu);
		KUNIT_ASSERT_FALSE(test, IS_ERR(a[cpu].task));
		kthread_bind(a[cpu].task, cpu);
		wake_up_process(a[cpu].task);
	}
	for (cycle = 0; cycle < 30; cycle++) {
		model_attach(test, m, 0, 1);
		usleep_range(5000, 10000);
		model_detach(m, 0, 1);
		usleep_range(5000, 10000);
	}
	kthread_stop(a[0].task);
	kthread_stop(a[1].task);
	KUNIT_EXPECT_EQ(test, exact(&m->ns[0]), (s64)(a[0].adds + a[1].adds));
	model_free(m);
}

/*
 * One adder caught in that window for certain: it loads fbc->counters,
 * then stays preemptible for STALE_HOLD without a voluntary context
 * switch while the storage changes hands, then updates the slot it
 * loaded, as the this_cpu_try_cmpxchg() of percpu_counter_add_batch()
 * does when preempted after loading the pointer (6.11 and later with
 * CMPXCHG_LOCAL).  The stopper thread preempts it, and synchronize_rcu()
 * does not wait for it.
 */
#define STALE_HOLD (HZ / 5)

struct stale_adder {
	struct percpu_counter *fbc;
	struct completion loaded;
	struct task_struct *task;
};

static int stale_adder_fn(void *arg)
{
	struct stale_adder *a = arg;
	s32 __percpu *counters = READ_ONCE(a->fbc->counters);
	unsigned long until = jiffies + STALE_HOLD;

	complete(&a->loaded);
	while (time_before(jiffies, until))
		cpu_relax();
	this_cpu_add(*counters, 1);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

/* Start a stale adder on CPU 1 and return once it holds the pointer. */
static void stale_adder_start(struct kunit *test, struct stale_adder *a,
			      struct dst_ops *ops)
{
	a->fbc = &ops->pcpuc_entries;
	init_completion(&a->loaded);
	a->task = kthread_create(stale_adder_fn, a, "xda_stale_adder");
	KUNIT_ASSERT_FALSE(test, IS_ERR(a->task));
	kthread_bind(a->task, 1);
	wake_up_process(a->task);
	wait_for_completion(&a->loaded);
}

/*
 * Install, restore and retire, each with an adder holding the pointer it
 * loaded before the swap: its update is credited, and it never lands in
 * storage that was freed (it would be lost there).
 */
static void preempted_adder_is_counted(struct kunit *test)
{
	struct stale_adder a;
	struct model *m;

	if (!XDA_ADDERS_PREEMPTIBLE)
		kunit_skip(test, "adders run with preemption disabled here");
	need_two_cpus(test);
	m = model_new(test, false);

	stale_adder_start(test, &a, &m->ns[0]);
	model_attach(test, m, 0, 1);
	kthread_stop(a.task);
	KUNIT_EXPECT_EQ_MSG(test, exact(&m->ns[0]), 1LL, "install");

	stale_adder_start(test, &a, &m->ns[0]);
	model_detach(m, 0, 1);
	kthread_stop(a.task);
	KUNIT_EXPECT_EQ_MSG(test, exact(&m->ns[0]), 2LL, "restore");

	model_attach(test, m, 0, 1);
	stale_adder_start(test, &a, &m->ns[0]);
	xda_slot_retire_begin(&m->slot[0]);
	xda_wait_for_adders();
	xda_slot_retire_end(&m->slot[0]);
	kthread_stop(a.task);
	KUNIT_EXPECT_EQ_MSG(test, exact(&m->ns[0]), 3LL, "retire");
	model_free(m);
}

/*
 * A namespace dismantled while its entries are still being freed: its own
 * storage is handed back and freed, and later frees must reach neither
 * that memory (now likely reused) nor any other namespace.
 */
static void retire_then_free(struct kunit *test)
{
	struct model *m = model_new(test, true);
	struct dst_entry *a[BATCH], *b[BATCH];
	LIST_HEAD(batch);
	int i;

	model_attach(test, m, 0, 3);
	alloc_on(test, 0, &m->ns[0], a, 20, false);
	alloc_on(test, 1, &m->ns[0], a + 20, 10, false);
	alloc_on(test, 1, &m->ns[1], b, 5, false);

	xda_slot_retire_begin(&m->slot[0]);
	xda_wait_for_adders();
	xda_slot_retire_end(&m->slot[0]);
	KUNIT_EXPECT_FALSE(test, xda_slot_owned(&m->slot[0]));

	/* Storage allocated now is likely where ns[0]'s was. */
	model_batch(m, 3, 1, &batch);
	KUNIT_ASSERT_EQ(test, xda_batch_prepare(&batch), 0);
	xda_slot_install_new(&m->slot[3]);
	batch_clear(&batch);

	free_on(0, a, 20);
	free_on(1, a + 20, 10);
	KUNIT_EXPECT_EQ(test, exact(&m->ns[1]), 5LL);
	KUNIT_EXPECT_EQ(test, exact(&m->ns[2]), 0LL);
	KUNIT_EXPECT_EQ(test, exact(&m->ns[3]), 0LL);
	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_EQ(test, slot_of(&m->ns[3], i), 0);
	free_on(1, b, 5);
	KUNIT_EXPECT_EQ(test, exact(&m->ns[1]), 0LL);
	model_free(m);
}

/* Storage allocation fails at each step: nothing changes, nothing leaks. */
static void prepare_failure_changes_nothing(struct kunit *test)
{
	struct model *m = model_new(test, true);
	long outstanding = xda_storage_outstanding();
	LIST_HEAD(batch);
	int nth, i;

	model_batch(m, 0, MODEL_NETS, &batch);
	for (nth = 1; nth <= MODEL_NETS; nth++) {
		xda_fail_nth_alloc(nth);
		KUNIT_EXPECT_EQ(test, xda_batch_prepare(&batch), -ENOMEM);
		KUNIT_EXPECT_EQ(test, xda_storage_outstanding(), outstanding);
		for (i = 0; i < MODEL_NETS; i++) {
			KUNIT_EXPECT_PTR_EQ(test, storage_of(&m->ns[i]),
					    storage_of(&m->template));
			KUNIT_EXPECT_TRUE(test, !m->slot[i].spare);
		}
	}
	xda_fail_nth_alloc(0);
	batch_clear(&batch);
	model_free(m);
}

#if IS_MODULE(CONFIG_IPV6) && defined(CONFIG_MODULE_UNLOAD)
struct ipv6_holder {
	atomic_t *ready;
	bool *go;
	struct completion done;
	bool held;
};

static int ipv6_holder_fn(void *arg)
{
	struct ipv6_holder *h = arg;

	/* Both spin until released together. */
	atomic_inc(h->ready);
	while (!READ_ONCE(*h->go))
		cond_resched();
	h->held = xda_ipv6_hold();
	complete(&h->done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

/*
 * IPv6 built as a module: namespaces are set up concurrently, and each
 * asks for ipv6.ko.  Two callers that find no reference on it, released
 * together on two CPUs, must take one between them, which unload drops
 * (a thousand rounds).
 * ipv6.ko is found by the owner of an IPv6 socket's operations.
 */
static void ipv6_reference_taken_once(struct kunit *test)
{
	struct task_struct *task[2];
	struct ipv6_holder h[2];
	struct socket *sock;
	struct module *ipv6;
	int round, i, refs;

	need_two_cpus(test);
	if (!xda_ipv6_hold())
		kunit_skip(test, "ipv6.ko is not loaded");
	KUNIT_ASSERT_EQ(test, sock_create_kern(&init_net, PF_INET6, SOCK_DGRAM,
					       IPPROTO_UDP, &sock), 0);
	ipv6 = sock->ops->owner;
	refs = module_refcount(ipv6);
	for (round = 0; round < 1000; round++) {
		atomic_t ready = ATOMIC_INIT(0);
		bool go = false;

		xda_ipv6_drop();
		for (i = 0; i < 2; i++) {
			h[i].ready = &ready;
			h[i].go = &go;
			init_completion(&h[i].done);
			h[i].held = false;
			task[i] = kthread_create(ipv6_holder_fn, &h[i],
						 "xda-ipv6/%d", i);
			KUNIT_ASSERT_FALSE(test, IS_ERR(task[i]));
			kthread_bind(task[i], i);
			wake_up_process(task[i]);
		}
		while (atomic_read(&ready) < 2)
			cond_resched();
		WRITE_ONCE(go, true);
		for (i = 0; i < 2; i++) {
			wait_for_completion(&h[i].done);
			kthread_stop(task[i]);
			KUNIT_EXPECT_TRUE(test, h[i].held);
		}
		if (module_refcount(ipv6) != refs) {
			KUNIT_FAIL(test, "round %d: ipv6.ko's reference count %d, not %d",
				   round, module_refcount(ipv6), refs);
			break;
		}
	}
	/* One reference left, as the module holds it once ipv6 is live. */
	sock_release(sock);
}
#else
static void ipv6_reference_taken_once(struct kunit *test)
{
	/* (Without MODULE_UNLOAD there is no reference count to read.) */
	kunit_skip(test, "IPv6 is not a module that can be unloaded here");
}
#endif

static int model_suite_init(struct kunit_suite *suite)
{
	xda_test_cache = kmem_cache_create("xda_test_dst",
					   sizeof(struct dst_entry), 0, 0,
					   NULL);
	return xda_test_cache ? 0 : -ENOMEM;
}

static void model_suite_exit(struct kunit_suite *suite)
{
	rcu_barrier();
	kmem_cache_destroy(xda_test_cache);
}

static struct kunit_case model_cases[] = {
	KUNIT_CASE(shared_storage_leaks),
	KUNIT_CASE(own_storage_isolates),
	KUNIT_CASE(both_cpus_no_leak),
	KUNIT_CASE(attach_under_load_loses_nothing),
	KUNIT_CASE(attach_seeds),
	KUNIT_CASE(detach_is_continuous),
	KUNIT_CASE(cpu_offline_keeps_share),
	KUNIT_CASE(cpu_offline_private_storage),
	KUNIT_CASE(swap_under_busy_adders),
	KUNIT_CASE(preempted_adder_is_counted),
	KUNIT_CASE(retire_then_free),
	KUNIT_CASE(prepare_failure_changes_nothing),
	KUNIT_CASE(ipv6_reference_taken_once),
	{}
};

static int case_init(struct kunit *test);

static struct kunit_suite model_suite = {
	.name = "xfrm_dst_acct_model",
	.suite_init = model_suite_init,
	.suite_exit = model_suite_exit,
	.init = case_init,
	.test_cases = model_cases,
};

/* ---- the machine's real namespaces ---- */

#define NETS_MAX 64

struct nets {
	struct net *net[NETS_MAX];
	int n;
};

/* Each namespace's storage and value, per family. */
struct snapshot {
	const void *storage[NETS_MAX][XDA_NR_FAMILIES];
	s64 value[NETS_MAX][XDA_NR_FAMILIES];
};

static void nets_get(struct kunit *test, struct nets *nets)
{
	struct net *net;

	nets->n = 0;
	down_read(&net_rwsem);
	for_each_net(net)
		if (nets->n < NETS_MAX && maybe_get_net(net))
			nets->net[nets->n++] = net;
	up_read(&net_rwsem);
}

static void nets_put(struct nets *nets)
{
	while (nets->n)
		put_net(nets->net[--nets->n]);
}

/* The value of @key in SETTINGS_PATH, or "" if absent. */
static const char *setting(struct kunit *test, const char *key)
{
	size_t klen = strlen(key);
	char *buf, *line, *next;
	struct file *file;
	loff_t pos = 0;
	ssize_t len;

	buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	file = filp_open(SETTINGS_PATH, O_RDONLY, 0);
	if (IS_ERR(file))
		return "";
	len = kernel_read(file, buf, PAGE_SIZE - 1, &pos);
	filp_close(file, NULL);
	for (line = buf; len > 0 && line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(line, key, klen) && line[klen] == '=')
			return line + klen + 1;
	}
	return "";
}

static int case_init(struct kunit *test)
{
	if (!strcmp(setting(test, "cases"), "none"))
		kunit_skip(test, "cases=none: loaded for its parameters only");
	return 0;
}

static bool should_own(enum xda_family f)
{
	return xda_mode == XDA_MODE_FORCE ||
	       (xda_mode == XDA_MODE_AUTO && xda_verdict_of(f) == XDA_SHARED);
}

/*
 * Every namespace, made before or after the module was loaded, is judged
 * the way the kernel is, and owns distinct storage wherever it should.
 */
static void every_namespace_owned(struct kunit *test)
{
	struct nets *nets = kunit_kzalloc(test, sizeof(*nets), GFP_KERNEL);
	enum xda_verdict want;
	int f, i, j;

	const char *expect = setting(test, "expect_affected");

	KUNIT_ASSERT_NOT_NULL(test, nets);
	KUNIT_ASSERT_TRUE_MSG(test, !strcmp(expect, "yes") ||
			      !strcmp(expect, "no"),
			      "expect_affected=yes|no is required");
	want = !strcmp(expect, "yes") ? XDA_SHARED : XDA_PRIVATE;
	nets_get(test, nets);
	KUNIT_ASSERT_GE_MSG(test, nets->n, 4,
			    "the harness makes three namespaces besides init_net");
	for (f = 0; f < XDA_NR_FAMILIES; f++) {
		KUNIT_EXPECT_EQ(test, xda_verdict_of(f), want);
		for (i = 0; i < nets->n; i++) {
			s64 at;
			enum xda_owner o = xda_owner_of(nets->net[i], f, &at);
			struct dst_ops *ops = xda_dst_ops_of(nets->net[i], f);

			KUNIT_EXPECT_EQ_MSG(test, o == XDA_OWNER_OWN,
					    should_own(f), "net %d family %d",
					    i, f);
			if (o != XDA_OWNER_OWN)
				continue;
			for (j = 0; j < i; j++)
				KUNIT_EXPECT_PTR_NE(test, storage_of(ops),
						    storage_of(xda_dst_ops_of(nets->net[j], f)));
		}
	}
	nets_put(nets);
}

/*
 * Real xfrm dst entries in two real namespaces.  Where the module says the
 * two share the kernel's storage (affected kernel, mode=off) the
 * cross-over is seen; wherever it says they do not, each count follows its
 * own entries, on both CPUs.
 */
static void real_namespaces_traffic(struct kunit *test)
{
	struct nets *nets = kunit_kzalloc(test, sizeof(*nets), GFP_KERNEL);
	struct dst_entry *a[2 * BATCH], *b[1];
	struct dst_ops *ops[2];
	s64 base[2], da, db, at;
	bool shared;
	int f, n;

	need_two_cpus(test);
	KUNIT_ASSERT_NOT_NULL(test, nets);
	nets_get(test, nets);
	KUNIT_ASSERT_GE(test, nets->n, 3);
	for (f = 0; f < XDA_NR_FAMILIES; f++) {
		ops[0] = xda_dst_ops_of(nets->net[1], f);
		ops[1] = xda_dst_ops_of(nets->net[2], f);
		/* What the module says, not what the pointers show. */
		shared = xda_owner_of(nets->net[1], f, &at) == XDA_OWNER_SHARED &&
			 xda_owner_of(nets->net[2], f, &at) == XDA_OWNER_SHARED;
		base[0] = exact(ops[0]);
		base[1] = exact(ops[1]);
		n = cross_fold(test, ops[0], ops[1], a, b, true);
		da = exact(ops[0]) - base[0];
		db = exact(ops[1]) - base[1];
		if (shared) {
			KUNIT_EXPECT_EQ(test, da, (s64)n - BATCH + 1);
			KUNIT_EXPECT_NE(test, db, 1LL);
		} else {
			KUNIT_EXPECT_EQ(test, da, (s64)n);
			KUNIT_EXPECT_EQ(test, db, 1LL);
		}
		free_on(0, a, n);
		free_on(0, b, 1);
		if (shared)
			continue;
		KUNIT_EXPECT_EQ(test, exact(ops[0]), base[0]);
		KUNIT_EXPECT_EQ(test, exact(ops[1]), base[1]);
		checkpoints_match_live(test, traffic_new(test, ops, 2, true),
				       base, 4);
	}
	nets_put(nets);
}

/* ---- a real namespace destroyed while its entries are being freed ---- */

static struct {
	struct net *net;
	struct dst_entry *dst[XDA_NR_FAMILIES][2 * BATCH];
	struct rcu_head rcu;
	struct completion freed;
} victim;

/* Runs after this namespace's exit, before its struct net is freed. */
static void victim_free_rcu(struct rcu_head *head)
{
	int f, i;

	for (f = 0; f < XDA_NR_FAMILIES; f++)
		for (i = 0; i < 2 * BATCH; i++)
			dst_release_immediate(victim.dst[f][i]);
	complete(&victim.freed);
}

/* Our pernet exit runs before the module's and before xfrm's. */
static void __net_exit victim_net_exit(struct net *net)
{
	if (net == victim.net)
		call_rcu(&victim.rcu, victim_free_rcu);
}

static struct pernet_operations victim_net_ops = {
	.exit = victim_net_exit,
};

static void namespace_dies_while_freeing(struct kunit *test)
{
	struct nets *nets = kunit_kzalloc(test, sizeof(*nets), GFP_KERNEL);
	struct snapshot *snap = kunit_kzalloc(test, sizeof(*snap), GFP_KERNEL);
	int victim_pid = 0;
	struct pid *pid;
	struct net *net;
	int f, i;

	KUNIT_ASSERT_NOT_NULL(test, nets);
	KUNIT_ASSERT_NOT_NULL(test, snap);
	KUNIT_ASSERT_EQ_MSG(test, kstrtoint(setting(test, "victim_pid"), 10,
					    &victim_pid), 0,
			    "victim_pid is required");
	net = get_net_ns_by_pid(victim_pid);
	KUNIT_ASSERT_FALSE(test, IS_ERR(net));
	for (f = 0; f < XDA_NR_FAMILIES; f++) {
		s64 at;

		/*
		 * On fixed kernels xfrm's exit frees the namespace's own
		 * storage, so no entry may be freed after it, module or not.
		 */
		if (xda_verdict_of(f) != XDA_SHARED ||
		    xda_owner_of(net, f, &at) != XDA_OWNER_OWN) {
			put_net(net);
			kunit_skip(test, "not an affected kernel with own storage");
		}
	}
	init_completion(&victim.freed);
	victim.net = net;
	for (f = 0; f < XDA_NR_FAMILIES; f++) {
		alloc_on(test, 0, xda_dst_ops_of(net, f), victim.dst[f], BATCH,
			 true);
		alloc_on(test, 1, xda_dst_ops_of(net, f), victim.dst[f] + BATCH,
			 BATCH, true);
	}
	nets_get(test, nets);
	for (i = 0; i < nets->n; i++)
		for (f = 0; f < XDA_NR_FAMILIES; f++)
			snap->value[i][f] = nets->net[i] == net ? 0 :
				exact(xda_dst_ops_of(nets->net[i], f));
	KUNIT_ASSERT_EQ(test, register_pernet_subsys(&victim_net_ops), 0);
	for (i = 0; i < nets->n; i++)
		if (nets->net[i] == net)
			nets->net[i] = NULL;
	put_net(net);	/* ours, and the one nets_get() took */
	put_net(net);

	pid = find_get_pid(victim_pid);
	kill_pid(pid, SIGKILL, 1);
	put_pid(pid);
	KUNIT_EXPECT_TRUE_MSG(test, wait_for_completion_timeout(&victim.freed,
								60 * HZ),
			      "the namespace was not dismantled");
	unregister_pernet_subsys(&victim_net_ops);
	victim.net = NULL;

	for (i = 0; i < nets->n; i++) {
		if (!nets->net[i])
			continue;
		for (f = 0; f < XDA_NR_FAMILIES; f++)
			KUNIT_EXPECT_EQ(test,
					exact(xda_dst_ops_of(nets->net[i], f)),
					snap->value[i][f]);
	}
	for (i = 0; i < nets->n; i++)
		if (nets->net[i])
			put_net(nets->net[i]);
	nets->n = 0;
}

/*
 * The module's load path with a storage allocation failing at each step:
 * the load fails with -ENOMEM and every namespace is left as it was.
 */
static void load_failure_changes_nothing(struct kunit *test)
{
	struct nets *nets = kunit_kzalloc(test, sizeof(*nets), GFP_KERNEL);
	struct snapshot *snap = kunit_kzalloc(test, sizeof(*snap), GFP_KERNEL);
	enum xda_mode mode = xda_mode;
	int nth, err, f, i, steps = 0;
	long outstanding;

	KUNIT_ASSERT_NOT_NULL(test, nets);
	KUNIT_ASSERT_NOT_NULL(test, snap);
	xda_pernet_exit();		/* as on unload */
	nets_get(test, nets);
	for (i = 0; i < nets->n; i++) {
		for (f = 0; f < XDA_NR_FAMILIES; f++) {
			struct dst_ops *ops = xda_dst_ops_of(nets->net[i], f);

			snap->storage[i][f] = storage_of(ops);
			snap->value[i][f] = exact(ops);
		}
	}
	outstanding = xda_storage_outstanding();
	xda_mode = XDA_MODE_FORCE;	/* one allocation per namespace and family */
	for (nth = 1; ; nth++) {
		xda_fail_nth_alloc(nth);
		err = xda_pernet_init();
		xda_fail_nth_alloc(0);
		if (!err)
			break;
		steps++;
		KUNIT_EXPECT_EQ(test, err, -ENOMEM);
		KUNIT_EXPECT_EQ(test, xda_storage_outstanding(), outstanding);
		for (i = 0; i < nets->n; i++) {
			for (f = 0; f < XDA_NR_FAMILIES; f++) {
				struct dst_ops *ops =
					xda_dst_ops_of(nets->net[i], f);

				KUNIT_EXPECT_PTR_EQ(test, storage_of(ops),
						    snap->storage[i][f]);
				KUNIT_EXPECT_EQ(test, exact(ops), snap->value[i][f]);
			}
		}
		if (nth > 2 * NETS_MAX * XDA_NR_FAMILIES)
			break;
	}
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, steps, nets->n * XDA_NR_FAMILIES);
	/* Put the module back as it was loaded. */
	xda_pernet_exit();
	xda_mode = mode;
	KUNIT_EXPECT_EQ(test, xda_pernet_init(), 0);
	nets_put(nets);
}

static struct kunit_case netns_cases[] = {
	KUNIT_CASE(every_namespace_owned),
	KUNIT_CASE(real_namespaces_traffic),
	KUNIT_CASE(load_failure_changes_nothing),
	KUNIT_CASE(namespace_dies_while_freeing),
	{}
};

static struct kunit_suite netns_suite = {
	.name = "xfrm_dst_acct_netns",
	.init = case_init,
	.test_cases = netns_cases,
};

kunit_test_suites(&model_suite, &netns_suite);

MODULE_DESCRIPTION("KUnit suites for xfrm_dst_acct");
MODULE_LICENSE("GPL");
