// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_dst_acct: give every network namespace its own percpu storage for
 * the xfrm dst_ops entry counters (IPv4 and IPv6).
 *
 * On kernels 2.6.37 to 4.3 without the upstream fix a8a572a6b5f2 (in 4.4
 * and stable 3.12.54, 3.18.27, 4.1.17, 4.3.5), and on RHEL/CentOS 7.0 to
 * 7.2, each namespace's xfrm dst_ops is a struct copy of one template and
 * shares the template's per-CPU slots, so dst entry counts leak from one
 * namespace to another until one passes 2 * gc_thresh and its IPsec stops
 * working.  Whether this kernel does is decided at run time: namespaces
 * sharing one storage.
 */

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include "xfrm_dst_acct.h"

enum xda_mode xda_mode = XDA_MODE_AUTO;
EXPORT_SYMBOL_IF_KUNIT(xda_mode);

static const char * const xda_mode_names[] = {
	[XDA_MODE_AUTO]		= "auto",
	[XDA_MODE_FORCE]	= "force",
	[XDA_MODE_OFF]		= "off",
};

static const char * const xda_owner_names[] = {
	[XDA_OWNER_ABSENT]	= "absent",
	[XDA_OWNER_KERNEL]	= "kernel",
	[XDA_OWNER_SHARED]	= "shared",
	[XDA_OWNER_OWN]		= "own",
};

const char *xda_family_name(enum xda_family family)
{
	return family == XDA_IPV4 ? "ipv4" : "ipv6";
}

const char *xda_owner_name(enum xda_owner owner)
{
	return xda_owner_names[owner];
}

static int xda_mode_set(const char *val, const struct kernel_param *kp)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(xda_mode_names); i++) {
		if (sysfs_streq(val, xda_mode_names[i])) {
			xda_mode = i;
			return 0;
		}
	}
	pr_err(XDA_NAME ": invalid mode '%s': expected auto, force or off\n",
	       val);
	return -EINVAL;
}

static int xda_mode_get(char *buf, const struct kernel_param *kp)
{
	return sprintf(buf, "%s\n", xda_mode_names[xda_mode]);
}

static const struct kernel_param_ops xda_mode_ops = {
	.set = xda_mode_set,
	.get = xda_mode_get,
};

module_param_cb(mode, &xda_mode_ops, NULL, 0444);
__MODULE_PARM_TYPE(mode, "string");
MODULE_PARM_DESC(mode,
		 "auto: own the counter storage where namespaces share it (default); force: always; off: observe only");

/* The kernel as judged from its namespaces: yes, no or unknown. */
static const char *xda_affected(void)
{
	enum xda_verdict worst = XDA_UNKNOWN;
	int f;

	for (f = 0; f < XDA_NR_FAMILIES; f++)
		worst = max(worst, xda_verdict_of(f));
	if (worst == XDA_SHARED)
		return "yes";
	return worst == XDA_PRIVATE ? "no" : "unknown";
}

static int xda_affected_set(const char *val, const struct kernel_param *kp)
{
	pr_err(XDA_NAME ": 'affected' is read-only: it reports whether this kernel shares counter storage\n");
	return -EINVAL;
}

static int xda_affected_get(char *buf, const struct kernel_param *kp)
{
	return sprintf(buf, "%s\n", xda_affected());
}

static const struct kernel_param_ops xda_affected_ops = {
	.set = xda_affected_set,
	.get = xda_affected_get,
};

module_param_cb(affected, &xda_affected_ops, NULL, 0444);
__MODULE_PARM_TYPE(affected, "string");
MODULE_PARM_DESC(affected,
		 "read-only: yes if namespaces share xfrm dst counter storage, no if not, unknown while only one namespace exists");

static int __init xda_init(void)
{
	int err;

	err = xda_hotplug_init();
	if (err)
		return err;
	err = xda_pernet_init();
	if (!err) {
		err = xda_ipv6_watch();
		if (err)
			xda_pernet_exit();
	}
	if (err) {
		xda_ipv6_unwatch();
		xda_hotplug_exit();
		pr_err(XDA_NAME ": not loaded: %d\n", err);
		return err;
	}
	pr_info(XDA_NAME ": version %s, mode=%s, affected=%s, own storage in %u namespaces, namespace exit: %s\n",
		XDA_VERSION, xda_mode_names[xda_mode], xda_affected(),
		xda_owned_namespaces(), XDA_NETNS_EXIT_PATH);
	return 0;
}

static void __exit xda_exit(void)
{
	/* Storage handed back first: then the late IPv6 ops find none. */
	xda_pernet_exit();
	xda_ipv6_unwatch();
	xda_hotplug_exit();
	pr_info(XDA_NAME ": unloaded, every namespace back on the kernel's storage\n");
}

module_init(xda_init);
module_exit(xda_exit);

MODULE_DESCRIPTION("Per-namespace percpu storage for xfrm dst entry counters");
MODULE_AUTHOR("xfrm-dst-acct developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(XDA_VERSION);
/* So that xfrm6 has set up every namespace's IPv6 dst_ops before us. */
MODULE_SOFTDEP("pre: ipv6");
