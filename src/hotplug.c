// SPDX-License-Identifier: GPL-2.0
/*
 * CPU hotplug: when a CPU has gone, fold its slot of every storage this
 * module installed (see xda_fold_dead_cpu()).
 */

#include "xfrm_dst_acct.h"

static int xda_cpuhp_state;

static int xda_cpu_dead(unsigned int cpu)
{
	xda_fold_dead_cpu(cpu);
	return 0;
}

int xda_hotplug_init(void)
{
	int ret = xda_cpu_dead_register(xda_cpu_dead);

	if (ret < 0)
		return ret;
	xda_cpuhp_state = ret;
	return 0;
}

void xda_hotplug_exit(void)
{
	xda_cpu_dead_unregister(xda_cpuhp_state);
}
