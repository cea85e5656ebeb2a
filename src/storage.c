// SPDX-License-Identifier: GPL-2.0
/*
 * The storage swap: give a percpu_counter per-CPU slots of its own.
 *
 * A percpu_counter's value is fbc->count plus the sum of the slots in
 * fbc->counters.  An adder (percpu_counter_add_batch()) works on the slot
 * of the CPU it runs on, and once that slot reaches the batch it folds the
 * slot into fbc->count under fbc->lock.  When two counters share one slot
 * array, a fold credits one counter with what the other added.  On
 * affected kernels every namespace's xfrm dst_ops is a struct copy of one
 * template and so shares its slots.
 *
 * The invariant kept by every function below: a counter reports the same
 * value just before and just after its slots change hands.  The only
 * exception is a counter leaving shared slots: those hold a mix of every
 * namespace's updates, none of which can be credited to this counter, so
 * it starts again from zero (see xda_slot_install()).
 *
 * Slots of CPUs that are not online: __percpu_counter_sum() leaves them
 * out, and a CPU's slot is folded when it dies, by the kernel for counters
 * on its list and by xda_fold_dead_cpu() for storage installed here.  So
 * outside CPU hotplug the slots of offline CPUs hold zero, with one
 * exception: private kernel storage (fixed kernels, mode=force) that was
 * not installed when its CPU died keeps that CPU's slot as it was.  It is
 * folded when the storage is handed back (xda_storage_fold_offline()).
 */

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/ktime.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/stop_machine.h>

#include "xfrm_dst_acct.h"

#if XDA_HAVE_PERCPU_SLOTS

/*
 * Slots whose own storage is installed, for xda_fold_dead_cpu().  A raw
 * lock: it is taken inside stop_machine() with interrupts off, where a
 * PREEMPT_RT spinlock_t would sleep.
 */
static LIST_HEAD(xda_owned_slots);
static DEFINE_RAW_SPINLOCK(xda_owned_lock);

#if IS_ENABLED(CONFIG_KUNIT)
static atomic_t xda_alloc_countdown = ATOMIC_INIT(0);
static atomic_long_t xda_allocated = ATOMIC_LONG_INIT(0);

/* Make the nth storage allocation from now fail (0: none). */
void xda_fail_nth_alloc(unsigned int nth)
{
	atomic_set(&xda_alloc_countdown, nth);
}
EXPORT_SYMBOL_IF_KUNIT(xda_fail_nth_alloc);

/* Storage allocated and not yet freed, to catch leaks in tests. */
long xda_storage_outstanding(void)
{
	return atomic_long_read(&xda_allocated);
}
EXPORT_SYMBOL_IF_KUNIT(xda_storage_outstanding);

static bool xda_alloc_should_fail(void)
{
	return atomic_dec_if_positive(&xda_alloc_countdown) == 0;
}

static void xda_account(long delta)
{
	atomic_long_add(delta, &xda_allocated);
}
#else
static bool xda_alloc_should_fail(void)
{
	return false;
}

static void xda_account(long delta)
{
}
#endif

static s32 __percpu *xda_storage_alloc(void)
{
	s32 __percpu *storage;

	if (xda_alloc_should_fail())
		return NULL;
	storage = alloc_percpu(s32);	/* zeroed */
	if (storage)
		xda_account(1);
	return storage;
}

void xda_storage_free(s32 __percpu *storage)
{
	if (!storage)
		return;
	free_percpu(storage);
	xda_account(-1);
}

/* Every possible CPU: a dead CPU's slot still holds its share. */
static s64 xda_storage_sum(s32 __percpu *storage)
{
	s64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *per_cpu_ptr(storage, cpu);
	return sum;
}

/*
 * Zero the slots of CPUs that are not online, as the kernel would have
 * folded them had this storage been installed when those CPUs died; their
 * values are in fbc->count since the install.  Call with fbc->lock held
 * and CPU hotplug excluded.
 */
static void xda_storage_fold_offline(s32 __percpu *storage)
{
	int cpu;

	for_each_possible_cpu(cpu)
		if (!cpu_online(cpu))
			*per_cpu_ptr(storage, cpu) = 0;
}

/*
 * @present: whether the family's xfrm code has initialised this copy; if
 * not, the slot stays absent until xda_slot_take_in().
 */
void xda_slot_init(struct xda_slot *slot, struct percpu_counter *fbc,
		   bool present)
{
	slot->fbc = fbc;
	slot->kernel_storage = NULL;
	slot->kernel_shared = false;
	slot->own = NULL;
	slot->spare = NULL;
	slot->handed_sum = 0;
	slot->retiring = false;
	slot->attach_value = 0;
	INIT_LIST_HEAD(&slot->batch_node);
	INIT_LIST_HEAD(&slot->owned_node);
	if (present)
		xda_slot_take_in(slot);
}
EXPORT_SYMBOL_IF_KUNIT(xda_slot_init);

/* Note the kernel's storage; NULL until the family's xfrm code set it up. */
bool xda_slot_take_in(struct xda_slot *slot)
{
	slot->kernel_storage = READ_ONCE(slot->fbc->counters);
	return xda_slot_present(slot);
}
EXPORT_SYMBOL_IF_KUNIT(xda_slot_take_in);

bool xda_slot_present(const struct xda_slot *slot)
{
	return slot->kernel_storage;
}
EXPORT_SYMBOL_IF_KUNIT(xda_slot_present);

/*
 * The family's xfrm code is about to destroy the counter: forget the
 * kernel's storage, so that the slot is absent to every later attach.  Call
 * after the storage was handed back (xda_slot_retire_begin()), if it was
 * owned.
 */
void xda_slot_take_out(struct xda_slot *slot)
{
	slot->kernel_storage = NULL;
}

bool xda_slot_owned(const struct xda_slot *slot)
{
	return slot->own;
}
EXPORT_SYMBOL_IF_KUNIT(xda_slot_owned);

bool xda_slot_retiring(const struct xda_slot *slot)
{
	return slot->retiring;
}

/* Did the kernel give @a and @b the same storage? */
bool xda_same_storage(const struct xda_slot *a, const struct xda_slot *b)
{
	return a->kernel_storage == b->kernel_storage;
}

/*
 * Allocate storage for every slot of @batch, before anything is swapped,
 * so that a failure changes nothing.
 */
int xda_batch_prepare(struct list_head *batch)
{
	struct xda_slot *slot;

	list_for_each_entry(slot, batch, batch_node) {
		slot->spare = xda_storage_alloc();
		if (!slot->spare) {
			xda_batch_unprepare(batch);
			return -ENOMEM;
		}
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(xda_batch_prepare);

void xda_batch_unprepare(struct list_head *batch)
{
	struct xda_slot *slot;

	list_for_each_entry(slot, batch, batch_node) {
		xda_storage_free(slot->spare);
		slot->spare = NULL;
	}
}
EXPORT_SYMBOL_IF_KUNIT(xda_batch_unprepare);

/*
 * Install the prepared storage.  No adder may be running on @slot: it is
 * either not reachable yet or every CPU is held in stop_machine().
 *
 * Seed: a counter leaving private storage keeps its exact value.  One
 * leaving shared storage starts from zero: its count has absorbed other
 * namespaces' folds and cannot be trusted.  Zero is the only seed that
 * cannot be an over-count, and only an over-count blocks allocation
 * (dst_alloc() compares against an upper limit; dst_entries_get_fast()
 * clamps below at zero), so a namespace that drifted up to the limit
 * recovers at once.  Entries alive at this point are subtracted again when
 * freed, so the value may go below zero by at most that many.
 *
 * Shared slots hold a mix of every namespace's updates, so their sum
 * belongs to no counter and is not taken: attach_value is then the folded
 * count, the figure dst_alloc() compared with gc_thresh.  This keeps the
 * cost of a shared counter inside stop_machine() independent of the
 * number of possible CPUs.
 */
static void xda_slot_install(struct xda_slot *slot)
{
	struct percpu_counter *fbc = slot->fbc;
	unsigned long flags;

	xda_fbc_lock_irqsave(fbc, flags);
	if (slot->kernel_shared) {
		slot->handed_sum = 0;
		slot->attach_value = fbc->count;
		fbc->count = 0;
	} else {
		slot->handed_sum = xda_storage_sum(fbc->counters);
		slot->attach_value = fbc->count + slot->handed_sum;
		fbc->count = slot->attach_value;
	}
	slot->own = slot->spare;
	slot->spare = NULL;
	fbc->counters = slot->own;
	xda_fbc_unlock_irqrestore(fbc, flags);

	raw_spin_lock(&xda_owned_lock);
	list_add(&slot->owned_node, &xda_owned_slots);
	raw_spin_unlock(&xda_owned_lock);
}

/*
 * Put the kernel's storage back.  No adder may be running on @slot.  The
 * kernel's slots were left untouched while ours were installed, so taking
 * their sum off fbc->count keeps the value continuous.  Our storage goes
 * to slot->spare, to be freed once no adder can hold it.
 */
static void xda_slot_restore(struct xda_slot *slot)
{
	struct percpu_counter *fbc = slot->fbc;
	unsigned long flags;
	s64 value;

	raw_spin_lock(&xda_owned_lock);
	list_del_init(&slot->owned_node);
	raw_spin_unlock(&xda_owned_lock);

	xda_fbc_lock_irqsave(fbc, flags);
	slot->handed_sum = xda_storage_sum(slot->own);
	value = fbc->count + slot->handed_sum;
	if (!slot->kernel_shared)
		xda_storage_fold_offline(slot->kernel_storage);
	fbc->counters = slot->kernel_storage;
	fbc->count = value - xda_storage_sum(slot->kernel_storage);
	xda_fbc_unlock_irqrestore(fbc, flags);

	slot->spare = slot->own;
	slot->own = NULL;
}

/*
 * After a swap of live counters and xda_wait_for_adders(): credit what
 * adders that had loaded the old pointer before the swap added to @old
 * after it (compat.h: only where an adder can be preempted there).
 */
static void xda_slot_fold_late(struct xda_slot *slot, s32 __percpu *old)
{
	struct percpu_counter *fbc = slot->fbc;
	unsigned long flags;
	s64 sum;

	xda_fbc_lock_irqsave(fbc, flags);
	sum = xda_storage_sum(old);
	fbc->count += sum - slot->handed_sum;
	slot->handed_sum = sum;
	xda_fbc_unlock_irqrestore(fbc, flags);
}

/* For a counter in a namespace still being set up: nothing can add yet. */
void xda_slot_install_new(struct xda_slot *slot)
{
	xda_slot_install(slot);
}
EXPORT_SYMBOL_IF_KUNIT(xda_slot_install_new);

struct xda_stopped_work {
	struct list_head *batch;
	u64 stopped_ns;		/* time spent with every CPU held */
};

static int xda_batch_install_stopped(void *data)
{
	struct xda_stopped_work *work = data;
	s64 start = ktime_to_ns(ktime_get());
	struct xda_slot *slot;

	list_for_each_entry(slot, work->batch, batch_node)
		xda_slot_install(slot);
	work->stopped_ns = ktime_to_ns(ktime_get()) - start;
	return 0;
}

/*
 * Install the prepared storage of counters that may be in use.  While
 * stop_machine() holds every CPU, no adder that runs with preemption
 * disabled is between reading fbc->counters and updating a slot: the swap
 * loses no update.  Where an adder can be preempted there, it may update
 * the kernel's storage after the swap; once it is done, what it added is
 * credited (private storage; in shared storage it was never ours to
 * credit, like an entry alive at the swap).  Returns how long every CPU
 * was held, in ns.
 */
u64 xda_batch_install_live(struct list_head *batch)
{
	struct xda_stopped_work work = { .batch = batch };
	struct xda_slot *slot;

	stop_machine(xda_batch_install_stopped, &work, NULL);
	if (XDA_ADDERS_PREEMPTIBLE) {
		xda_wait_for_adders();
		list_for_each_entry(slot, batch, batch_node)
			if (!slot->kernel_shared)
				xda_slot_fold_late(slot, slot->kernel_storage);
	}
	return work.stopped_ns;
}
EXPORT_SYMBOL_IF_KUNIT(xda_batch_install_live);

static int xda_batch_restore_stopped(void *batch)
{
	struct xda_slot *slot;

	list_for_each_entry(slot, (struct list_head *)batch, batch_node)
		xda_slot_restore(slot);
	return 0;
}

/*
 * The reverse of xda_batch_install_live(); frees our storage once no
 * adder can hold it, having credited what preempted adders added to it.
 */
void xda_batch_restore_live(struct list_head *batch)
{
	struct xda_slot *slot;

	stop_machine(xda_batch_restore_stopped, batch, NULL);
	if (XDA_ADDERS_PREEMPTIBLE) {
		xda_wait_for_adders();
		list_for_each_entry(slot, batch, batch_node)
			xda_slot_fold_late(slot, slot->spare);
	}
	/* Otherwise every adder reads fbc->counters afresh by now. */
	xda_batch_unprepare(batch);
}
EXPORT_SYMBOL_IF_KUNIT(xda_batch_restore_live);

/*
 * Hand a counter that is still in use back to the kernel's storage without
 * stopping the machine; used when a namespace is dismantled.  That storage
 * stays valid as long as the namespace can count: the template's lives
 * forever, and a private one is freed by the namespace's own xfrm exit
 * (dst_entries_destroy() frees whatever fbc->counters points to, so it
 * must be the kernel's by then).  Late updates from a dying namespace that
 * land in shared slots reach no namespace that owns its storage.
 *
 * An adder that read the old pointer may still update our slots, or fold
 * one of them and then subtract from a slot of the new storage (3.13 and
 * later); either way the sum over both storages is kept.  So once every
 * such adder is gone (xda_wait_for_adders()), xda_slot_retire_end() folds
 * what is left in our slots into fbc->count and the value is exact again.
 * Before 3.13 the fold zeroes the new slot instead of subtracting from it
 * (__percpu_counter_add(): __this_cpu_write(*fbc->counters, 0) after
 * taking fbc->lock): such a race can wipe one slot of the kernel's storage
 * and count one of ours twice.  The kernels of those releases are affected
 * ones, where the kernel's storage is the template's, which no namespace
 * that owns its storage counts with, and the twice-counted slot is in the
 * dying namespace's own count, which nothing reads any more.
 */
void xda_slot_retire_begin(struct xda_slot *slot)
{
	struct percpu_counter *fbc = slot->fbc;
	unsigned long flags;

	raw_spin_lock(&xda_owned_lock);
	list_del_init(&slot->owned_node);
	raw_spin_unlock(&xda_owned_lock);

	xda_cpus_read_lock();
	xda_fbc_lock_irqsave(fbc, flags);
	/* Private slots were left untouched: keep the value continuous. */
	if (!slot->kernel_shared) {
		xda_storage_fold_offline(slot->kernel_storage);
		fbc->count -= xda_storage_sum(slot->kernel_storage);
	}
	WRITE_ONCE(fbc->counters, slot->kernel_storage);
	xda_fbc_unlock_irqrestore(fbc, flags);
	xda_cpus_read_unlock();
	slot->retiring = true;
}
EXPORT_SYMBOL_IF_KUNIT(xda_slot_retire_begin);

/* Call only after xda_wait_for_adders() following xda_slot_retire_begin(). */
void xda_slot_retire_end(struct xda_slot *slot)
{
	struct percpu_counter *fbc = slot->fbc;
	unsigned long flags;

	xda_fbc_lock_irqsave(fbc, flags);
	fbc->count += xda_storage_sum(slot->own);
	xda_fbc_unlock_irqrestore(fbc, flags);

	xda_storage_free(slot->own);
	slot->own = NULL;
	slot->retiring = false;
}
EXPORT_SYMBOL_IF_KUNIT(xda_slot_retire_end);

/*
 * xda_slot_retire_end() for a counter whose namespace is being dismantled,
 * without the wait: fold what our slots hold now and hand the storage to
 * the caller, who frees it (xda_storage_free()) once no adder can hold it.
 * What an adder that still holds the pointer adds after the fold is not
 * counted; nothing reads a dismantled namespace's count.
 */
s32 __percpu *xda_slot_retire_detach(struct xda_slot *slot)
{
	struct percpu_counter *fbc = slot->fbc;
	s32 __percpu *own = slot->own;
	unsigned long flags;

	xda_fbc_lock_irqsave(fbc, flags);
	fbc->count += xda_storage_sum(own);
	xda_fbc_unlock_irqrestore(fbc, flags);

	slot->own = NULL;
	slot->retiring = false;
	return own;
}

/*
 * A dead CPU's slot: __percpu_counter_sum() only adds up online CPUs, and
 * the kernel folds a dead CPU's slot only for counters on its own list,
 * which the per-namespace copies on affected kernels are not.  So fold it
 * here.  Where the kernel folds it too (fixed kernels, mode=force), the
 * second fold finds zero.
 */
void xda_fold_dead_cpu(unsigned int cpu)
{
	struct xda_slot *slot;
	unsigned long flags;
	s32 *pcount;

	raw_spin_lock(&xda_owned_lock);
	list_for_each_entry(slot, &xda_owned_slots, owned_node) {
		xda_fbc_lock_irqsave(slot->fbc, flags);
		pcount = per_cpu_ptr(slot->own, cpu);
		slot->fbc->count += *pcount;
		*pcount = 0;
		xda_fbc_unlock_irqrestore(slot->fbc, flags);
	}
	raw_spin_unlock(&xda_owned_lock);
}

#else /* !XDA_HAVE_PERCPU_SLOTS: a percpu_counter is a plain s64 */

void xda_slot_init(struct xda_slot *slot, struct percpu_counter *fbc,
		   bool present)
{
	slot->fbc = fbc;
	slot->kernel_shared = false;
	slot->retiring = false;
	slot->attach_value = 0;
	INIT_LIST_HEAD(&slot->batch_node);
	INIT_LIST_HEAD(&slot->owned_node);
}

bool xda_slot_take_in(struct xda_slot *slot)
{
	return true;
}

bool xda_slot_retiring(const struct xda_slot *slot)
{
	return false;
}

bool xda_slot_present(const struct xda_slot *slot)
{
	return true;
}

void xda_slot_take_out(struct xda_slot *slot)
{
}

bool xda_slot_owned(const struct xda_slot *slot)
{
	return false;
}

bool xda_same_storage(const struct xda_slot *a, const struct xda_slot *b)
{
	return false;
}

int xda_batch_prepare(struct list_head *batch)
{
	return 0;
}

void xda_batch_unprepare(struct list_head *batch)
{
}

void xda_slot_install_new(struct xda_slot *slot)
{
}

u64 xda_batch_install_live(struct list_head *batch)
{
	return 0;
}

void xda_batch_restore_live(struct list_head *batch)
{
}

void xda_slot_retire_begin(struct xda_slot *slot)
{
}

void xda_slot_retire_end(struct xda_slot *slot)
{
}

s32 __percpu *xda_slot_retire_detach(struct xda_slot *slot)
{
	return NULL;
}

void xda_storage_free(s32 __percpu *storage)
{
}

void xda_fold_dead_cpu(unsigned int cpu)
{
}

#endif /* XDA_HAVE_PERCPU_SLOTS */
