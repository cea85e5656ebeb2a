// SPDX-License-Identifier: GPL-2.0
/*
 * xda_bench: the in-kernel half of scripts/bench (see run.sh there).
 *
 * Each write to /sys/module/xda_bench/parameters/run runs one measurement
 * in the writer's network namespace and returns when it is done:
 *
 *   hot CPUS MS   dst_alloc() + dst_release_immediate() pairs through the
 *                 xfrm4 dst_ops, from one kthread bound to each of CPUs
 *                 0..CPUS-1, for MS milliseconds, in six variants taken
 *                 in turn (see below)
 *   accuracy MS   both CPUs allocate and free at random on the namespace's
 *                 xfrm4 dst_ops, holding up to 512 entries each, and
 *                 compare the fast read of its counter with the exact sum
 *   settle        wait until every namespace being dismantled has been
 *                 through its exit methods
 *   walk          time passes over every namespace reading each family's
 *                 counter and slots, and passes reading only the counter
 *                 (controls for the load cost, see cmd_walk())
 *
 * The variants of "hot":
 *   real    the namespace's own dst_ops, counted by its percpu_counter
 *           with whatever storage it has: the kernel's, or xfrm_dst_acct's
 *           once that is loaded with mode=force
 *   copy    a copy of that dst_ops given a counter of its own with
 *           dst_entries_init(), exactly as a fixed kernel's xfrm4 pernet
 *           init makes every namespace's: the yardstick, made at the
 *           first run and kept until unload
 *   atomic  the namespace's dst_ops with DST_NOCOUNT, counted instead with
 *           one atomic_long_t shared by every CPU (what a naive fix would
 *           do)
 *   none    DST_NOCOUNT and no count at all
 *   count_percpu, count_atomic
 *           the count alone, +1 then -1 with no dst entry: the
 *           yardstick's percpu_counter, and the shared atomic_long_t
 * Time is cut into slots of 1 ms and every CPU runs the variant of the
 * current slot, so the variants share the host's load alike (under TCG a
 * vCPU is a host thread that other host work slows or preempts) and the
 * CPUs run the same variant at the same time (as contention on the shared
 * atomic needs).  Pairs are timed in chunks of 128; a variant's rate is
 * 128 pairs over its median chunk, summed over the CPUs.  Comparing
 * "real" with "copy" without and with xfrm_dst_acct gives the module's
 * cost with the host's drift taken out.
 *
 * The result is one line in the kernel log, also readable from
 * parameters/result:
 *   xda_bench: hot cpus=C ms=M real=R copy=R atomic=R none=R
 *              count_percpu=R count_atomic=R chunks=N failed=F
 *   xda_bench: accuracy ms=M samples=N max_diff=D max_skew=S bound=B
 *              online=C failed=F
 * (max_diff: the fast read against the exact sum at one instant, under
 * the counter's lock; max_skew: the same from two separate reads, fast
 * then exact, as /proc/net/xfrm_dst_acct makes them)
 *   xda_bench: settle
 *   xda_bench: walk nets=N first_ns=T best_ns=T fields_ns=T sink=X
 * parameters/nets is the number of namespaces on the kernel's list.
 *
 * Entries are allocated the way xfrm_alloc_dst() does (dst_alloc() then
 * zeroing the rest of struct xfrm_dst), so xfrm4's destroy hook runs on
 * them as on real bundles.
 */

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/nsproxy.h>
#include <linux/percpu_counter.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <net/dst.h>
#include <net/net_namespace.h>
#include <net/xfrm.h>

#define BENCH_CPUS	2
#define HELD_MAX	512
/* Pairs timed together; the clock is read between chunks only. */
#define CHUNK		128
#define MAX_CHUNKS	16384
#define SLOT_NS		NSEC_PER_MSEC
/* Lets every worker be running before the clock starts. */
#define START_DELAY_NS	(20 * NSEC_PER_MSEC)

enum variant {
	V_REAL, V_COPY, V_ATOMIC, V_NONE,
	V_COUNT_PERCPU, V_COUNT_ATOMIC,	/* the count alone, no dst */
	NR_VARIANTS
};

/* The count-alone variants make this many more pairs per chunk. */
#define COUNT_ONLY_FACTOR	16

static atomic_long_t shared_count = ATOMIC_LONG_INIT(0);
static DEFINE_MUTEX(bench_lock);
static char result[256] = "none\n";

struct run {
	struct dst_ops *ops;		/* the namespace's */
	struct dst_ops *copy;
	bool accuracy;
	u64 start_ns;
	u64 end_ns;
};

struct worker {
	struct run *run;
	struct task_struct *task;
	struct completion done;
	u64 failed;
	u64 samples;
	s64 max_diff;		/* fast read against exact sum, one instant */
	s64 max_skew;		/* the same from two reads, as /proc makes them */
	u32 rnd;
	unsigned int chunks[NR_VARIANTS];
	u32 chunk_ns[NR_VARIANTS][MAX_CHUNKS];
	struct dst_entry *held[HELD_MAX];
};

static struct dst_entry *entry_new(struct dst_ops *ops, unsigned short flags)
{
	struct dst_entry *dst = dst_alloc(ops, NULL, 1, DST_OBSOLETE_NONE,
					  flags);

	if (dst)
		memset_after((struct xfrm_dst *)dst, 0, u.dst);
	return dst;
}

/* The count alone: +1 then -1, CHUNK * COUNT_ONLY_FACTOR times. */
static noinline void count_chunk(struct worker *w, enum variant v)
{
	struct percpu_counter *fbc = &w->run->copy->pcpuc_entries;
	int i;

	for (i = 0; i < CHUNK * COUNT_ONLY_FACTOR; i++) {
		if (v == V_COUNT_PERCPU) {
			percpu_counter_add_batch(fbc, 1, DST_PERCPU_COUNTER_BATCH);
			percpu_counter_add_batch(fbc, -1, DST_PERCPU_COUNTER_BATCH);
		} else {
			atomic_long_inc(&shared_count);
			atomic_long_dec(&shared_count);
		}
	}
}

/* CHUNK pairs of one variant; the time they took. */
static u64 hot_chunk(struct worker *w, enum variant v)
{
	struct dst_ops *ops = v == V_COPY ? w->run->copy : w->run->ops;
	unsigned short flags = v <= V_COPY ? 0 : DST_NOCOUNT;
	bool atomic = v == V_ATOMIC;
	struct dst_entry *dst;
	u64 t0 = ktime_get_ns();
	int i;

	if (v >= V_COUNT_PERCPU) {
		count_chunk(w, v);
		return ktime_get_ns() - t0;
	}
	for (i = 0; i < CHUNK; i++) {
		dst = entry_new(ops, flags);
		if (unlikely(!dst)) {
			w->failed++;
			continue;
		}
		if (atomic)
			atomic_long_inc(&shared_count);
		if (atomic)
			atomic_long_dec(&shared_count);
		dst_release_immediate(dst);
	}
	return ktime_get_ns() - t0;
}

static void hot_loop(struct worker *w)
{
	struct run *run = w->run;
	u64 now, ns;
	enum variant v;

	while ((now = ktime_get_ns()) < run->end_ns) {
		v = div64_u64(now - run->start_ns, SLOT_NS) % NR_VARIANTS;
		ns = hot_chunk(w, v);
		if (w->chunks[v] < MAX_CHUNKS)
			w->chunk_ns[v][w->chunks[v]++] = min_t(u64, ns, U32_MAX);
		cond_resched();
	}
}

static u32 xorshift(u32 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/*
 * What the fast read misses at one instant: fbc->count is the fast read
 * and only changes under fbc->lock, so under the lock the difference
 * between it and the exact sum is the sum of the slots.
 */
static s64 slots_sum(struct percpu_counter *fbc)
{
	unsigned long flags;
	s64 sum = 0;
	int cpu;

	raw_spin_lock_irqsave(&fbc->lock, flags);
	for_each_online_cpu(cpu)
		sum += *per_cpu_ptr(fbc->counters, cpu);
	raw_spin_unlock_irqrestore(&fbc->lock, flags);
	return sum;
}

static void accuracy_loop(struct worker *w)
{
	struct percpu_counter *fbc = &w->run->ops->pcpuc_entries;
	unsigned long i = 0;
	int n = 0;

	do {
		u32 r = xorshift(&w->rnd);

		if (n == 0 || (n < HELD_MAX && (r & 1))) {
			w->held[n] = entry_new(w->run->ops, 0);
			if (w->held[n])
				n++;
			else
				w->failed++;
		} else {
			dst_release_immediate(w->held[--n]);
		}
		if (!(++i & 15)) {
			s64 fast = percpu_counter_read(fbc);
			s64 skew = abs(fast - percpu_counter_sum(fbc));

			w->samples++;
			w->max_skew = max(w->max_skew, skew);
			w->max_diff = max(w->max_diff, abs(slots_sum(fbc)));
		}
		if (!(i & 63))
			cond_resched();
	} while ((i & 63) || ktime_get_ns() < w->run->end_ns);
	while (n)
		dst_release_immediate(w->held[--n]);
}

static int worker_fn(void *arg)
{
	struct worker *w = arg;

	while (ktime_get_ns() < w->run->start_ns)
		cond_resched();
	if (w->run->accuracy)
		accuracy_loop(w);
	else
		hot_loop(w);
	complete(&w->done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ);
	return 0;
}

/* Run @run on CPUs 0..@cpus-1 at once; the workers' results in @w. */
static int run_workers(struct run *run, struct worker *w, int cpus, u64 ms)
{
	int cpu, started = 0, err = 0;

	for (cpu = 0; cpu < cpus; cpu++) {
		if (!cpu_online(cpu))
			return -ENODEV;
	}
	run->start_ns = ktime_get_ns() + START_DELAY_NS;
	run->end_ns = run->start_ns + ms * NSEC_PER_MSEC;
	for (cpu = 0; cpu < cpus; cpu++) {
		w[cpu].run = run;
		w[cpu].rnd = get_random_u32() | 1;
		init_completion(&w[cpu].done);
		w[cpu].task = kthread_create(worker_fn, &w[cpu], "xda_bench/%d",
					     cpu);
		if (IS_ERR(w[cpu].task)) {
			err = PTR_ERR(w[cpu].task);
			break;
		}
		kthread_bind(w[cpu].task, cpu);
		started++;
	}
	for (cpu = 0; cpu < started; cpu++)
		wake_up_process(w[cpu].task);
	for (cpu = 0; cpu < started; cpu++) {
		wait_for_completion(&w[cpu].done);
		kthread_stop(w[cpu].task);
	}
	return err;
}

static struct net *writer_net(void)
{
	return get_net(current->nsproxy->net_ns);
}

static int cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/* CHUNK pairs over the median chunk of @v, summed over the CPUs. */
static u64 variant_rate(struct worker *w, int cpus, enum variant v)
{
	u64 rate = 0;
	int cpu;

	for (cpu = 0; cpu < cpus; cpu++) {
		unsigned int n = w[cpu].chunks[v];

		if (!n)
			continue;
		sort(w[cpu].chunk_ns[v], n, sizeof(u32), cmp_u32, NULL);
		rate += div64_u64((v >= V_COUNT_PERCPU ? COUNT_ONLY_FACTOR : 1) *
				  CHUNK * NSEC_PER_SEC,
				  max_t(u32, w[cpu].chunk_ns[v][n / 2], 1));
	}
	return rate;
}

/*
 * The yardstick: made once and kept until unload, so that its place in
 * memory is the same in every run, without and with xfrm_dst_acct.  It
 * refers to no namespace: every namespace's xfrm4 dst_ops is a copy of
 * the same template.
 */
static struct dst_ops *yardstick;

static struct dst_ops *yardstick_of(struct net *net)
{
	if (yardstick)
		return yardstick;
	yardstick = kmalloc(sizeof(*yardstick), GFP_KERNEL);
	if (!yardstick)
		return NULL;
	/* What xfrm4_net_init() does on a fixed kernel. */
	memcpy(yardstick, &net->xfrm.xfrm4_dst_ops, sizeof(*yardstick));
	if (dst_entries_init(yardstick)) {
		kfree(yardstick);
		yardstick = NULL;
	}
	return yardstick;
}

/*
 * A run's workers, one per CPU the bench can use, and the IPv4 counter of
 * the writer's namespace, which the caller puts with put_net().
 */
static struct worker *run_prepare(struct run *run, struct net **net)
{
	struct worker *w = kvcalloc(BENCH_CPUS, sizeof(*w), GFP_KERNEL);

	if (!w)
		return NULL;
	*net = writer_net();
	run->ops = &(*net)->xfrm.xfrm4_dst_ops;
	return w;
}

static int cmd_hot(int cpus, u64 ms)
{
	struct run run = { .accuracy = false };
	u64 rate[NR_VARIANTS], failed = 0;
	unsigned int chunks = 0;
	struct worker *w;
	struct net *net;
	int err, cpu, v;

	if (cpus < 1 || cpus > BENCH_CPUS || !ms)
		return -EINVAL;
	w = run_prepare(&run, &net);
	if (!w)
		return -ENOMEM;
	run.copy = yardstick_of(net);
	err = run.copy ? run_workers(&run, w, cpus, ms) : -ENOMEM;
	put_net(net);
	if (err)
		goto out;
	for (v = 0; v < NR_VARIANTS; v++)
		rate[v] = variant_rate(w, cpus, v);
	for (cpu = 0; cpu < cpus; cpu++) {
		failed += w[cpu].failed;
		for (v = 0; v < NR_VARIANTS; v++)
			chunks += w[cpu].chunks[v];
	}
	snprintf(result, sizeof(result),
		 "xda_bench: hot cpus=%d ms=%llu real=%llu copy=%llu atomic=%llu none=%llu count_percpu=%llu count_atomic=%llu chunks=%u failed=%llu\n",
		 cpus, ms, rate[V_REAL], rate[V_COPY], rate[V_ATOMIC],
		 rate[V_NONE], rate[V_COUNT_PERCPU], rate[V_COUNT_ATOMIC],
		 chunks, failed);
out:
	kvfree(w);
	return err;
}

static int cmd_accuracy(u64 ms)
{
	struct run run = { .accuracy = true };
	u64 samples = 0, failed = 0;
	s64 max_diff = 0, max_skew = 0;
	struct worker *w;
	struct net *net;
	int err, cpu;

	if (!ms)
		return -EINVAL;
	w = run_prepare(&run, &net);
	if (!w)
		return -ENOMEM;
	err = run_workers(&run, w, BENCH_CPUS, ms);
	for (cpu = 0; !err && cpu < BENCH_CPUS; cpu++) {
		samples += w[cpu].samples;
		failed += w[cpu].failed;
		max_diff = max(max_diff, w[cpu].max_diff);
		max_skew = max(max_skew, w[cpu].max_skew);
	}
	put_net(net);
	kvfree(w);
	if (err)
		return err;
	snprintf(result, sizeof(result),
		 "xda_bench: accuracy ms=%llu samples=%llu max_diff=%lld max_skew=%lld bound=%u online=%u failed=%llu\n",
		 ms, samples, max_diff, max_skew,
		 DST_PERCPU_COUNTER_BATCH * num_online_cpus(),
		 num_online_cpus(), failed);
	return 0;
}

/*
 * Controls for the load cost: passes over every namespace, with interrupts
 * off, reading what xfrm_dst_acct's install reads inside stop_machine():
 * each family's counter and its slots on every possible CPU (a counter
 * leaving private storage; best_ns), or the counter alone (one leaving
 * shared storage; fields_ns).  If the time per namespace of these plain
 * walks grows with the number of namespaces, or with the possible CPUs
 * whose slots they do not read, as the module's stop window does, the
 * growth is the memory system's (caches, TLB, and under TCG its software
 * TLB), not the module's.
 */
/*
 * One timed pass of cmd_walk() over @n namespaces with interrupts off:
 * each family's counter, and with @slots its slots on every possible CPU.
 * What is read goes to @sink, so that nothing is optimised away.
 */
static u64 walk_pass(struct net **nets, unsigned int n, bool slots, s64 *sink)
{
	unsigned long flags;
	unsigned int i;
	u64 t0, ns;

	local_irq_save(flags);
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		struct percpu_counter *fbc[] = {
			&nets[i]->xfrm.xfrm4_dst_ops.pcpuc_entries,
#if IS_ENABLED(CONFIG_IPV6)
			&nets[i]->xfrm.xfrm6_dst_ops.pcpuc_entries,
#endif
		};
		int f, cpu;

		for (f = 0; f < ARRAY_SIZE(fbc); f++) {
			s32 __percpu *counters = READ_ONCE(fbc[f]->counters);

			*sink += READ_ONCE(fbc[f]->count);
			if (!slots || !counters) {
				*sink += !counters;
				continue;
			}
			for_each_possible_cpu(cpu)
				*sink += READ_ONCE(*per_cpu_ptr(counters, cpu));
		}
	}
	ns = ktime_get_ns() - t0;
	local_irq_restore(flags);
	return ns;
}

static int cmd_walk(void)
{
	unsigned int n = 0, i, pass;
	u64 first = 0, best = U64_MAX, fields = U64_MAX;
	struct net **nets, *net;
	s64 sink = 0;

	down_read(&net_rwsem);
	for_each_net(net)
		n++;
	nets = kvmalloc_array(n, sizeof(*nets), GFP_KERNEL);
	if (!nets) {
		up_read(&net_rwsem);
		return -ENOMEM;
	}
	i = 0;
	for_each_net(net)
		if (i < n)
			nets[i++] = net;
	n = i;
	for (pass = 0; pass < 3; pass++)
		fields = min(fields, walk_pass(nets, n, false, &sink));
	for (pass = 0; pass < 4; pass++) {
		u64 ns = walk_pass(nets, n, true, &sink);

		if (!pass)
			first = ns;
		else
			best = min(best, ns);
	}
	up_read(&net_rwsem);
	kvfree(nets);
	snprintf(result, sizeof(result),
		 "xda_bench: walk nets=%u first_ns=%llu best_ns=%llu fields_ns=%llu sink=%lld\n",
		 n, first, best, fields, sink);
	return 0;
}

static int run_set(const char *val, const struct kernel_param *kp)
{
	int cpus, err;
	u64 ms;

	mutex_lock(&bench_lock);
	if (sscanf(val, "hot %d %llu", &cpus, &ms) == 2) {
		err = cmd_hot(cpus, ms);
	} else if (sysfs_streq(val, "walk")) {
		err = cmd_walk();
	} else if (sscanf(val, "accuracy %llu", &ms) == 1) {
		err = cmd_accuracy(ms);
	} else if (sysfs_streq(val, "settle")) {
		net_ns_barrier();
		rcu_barrier();
		strscpy(result, "xda_bench: settle\n", sizeof(result));
		err = 0;
	} else {
		err = -EINVAL;
	}
	if (!err)
		pr_info("%s", result);
	mutex_unlock(&bench_lock);
	return err;
}

static int result_get(char *buf, const struct kernel_param *kp)
{
	int len;

	mutex_lock(&bench_lock);
	len = sysfs_emit(buf, "%s", result);
	mutex_unlock(&bench_lock);
	return len;
}

static int nets_get(char *buf, const struct kernel_param *kp)
{
	struct net *net;
	int n = 0;

	down_read(&net_rwsem);
	for_each_net(net)
		n++;
	up_read(&net_rwsem);
	return sysfs_emit(buf, "%d\n", n);
}

static const struct kernel_param_ops run_ops = {
	.set = run_set,
	.get = result_get,
};

static const struct kernel_param_ops result_ops = {
	.get = result_get,
};

static const struct kernel_param_ops nets_ops = {
	.get = nets_get,
};

module_param_cb(run, &run_ops, NULL, 0600);
MODULE_PARM_DESC(run, "hot CPUS MS | accuracy MS | settle | walk");
module_param_cb(result, &result_ops, NULL, 0444);
MODULE_PARM_DESC(result, "the last result line");
module_param_cb(nets, &nets_ops, NULL, 0444);
MODULE_PARM_DESC(nets, "network namespaces on the kernel's list");

static int __init xda_bench_init(void)
{
	return 0;
}

static void __exit xda_bench_exit(void)
{
	if (yardstick) {
		dst_entries_destroy(yardstick);
		kfree(yardstick);
	}
}

module_init(xda_bench_init);
module_exit(xda_bench_exit);

MODULE_DESCRIPTION("Measurements for xfrm_dst_acct (scripts/bench)");
MODULE_LICENSE("GPL");
