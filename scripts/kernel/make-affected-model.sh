#!/bin/bash
# Turn a copy of the Linux 6.1 source into the "affected model" kernel.
#
# Usage: scripts/kernel/make-affected-model.sh [--gc-limit|--no-gc-limit] SRC_DIR
#
# SRC_DIR is edited in place, so it must be a private copy, never the
# pristine source.  The edits make 6.1 behave like 2.6.37 .. 4.3 kernels
# without the upstream fix:
#
#  * xfrm4_net_init()/xfrm6_net_init() copy the dst_ops template but no
#    longer call dst_entries_init() on the copy, and the pernet exit and
#    error paths no longer call dst_entries_destroy().  The template is
#    initialised once at boot instead (xfrm4_init(), xfrm6_policy_init(),
#    as in 4.1), so every namespace's copy shares the template's percpu
#    `counters` storage: the defect the module repairs.
#
#  * --gc-limit (default): restore the pre-4.14 rule that allocating an
#    xfrm dst fails once the namespace's count exceeds 2 * gc_thresh
#    (4.1's xfrm4_garbage_collect() returned true and dst_alloc() then
#    returned NULL, which xfrm_alloc_dst() turned into -ENOBUFS).  The rule
#    is placed in xfrm_alloc_dst() rather than in dst_alloc(): in 6.1 the
#    IPv6 route dst_ops also has a .gc hook, and a dst_alloc()-wide rule
#    would cap IPv6 routes at 2 * 1024, which old kernels did not do.
#
#  * xfrm4_init() prints a marker line so console logs show which kernel
#    ran:  "xfrm: affected model: per-netns xfrm dst_ops share the
#    template's percpu counters".
#
# Every edit is an exact text replacement that must match exactly once;
# nothing is written unless all of them match.  A stamp file
# SRC_DIR/.xda-affected-model records the edit and a second run refuses.
set -eu

STAMP_NAME=.xda-affected-model

usage() {
	echo "usage: $0 [--gc-limit|--no-gc-limit] SRC_DIR" >&2
	exit 2
}

# Refuse anything that does not look like an unedited 6.1 tree.
check_src_dir() {
	local src=$1
	if [ ! -f "$src/net/ipv4/xfrm4_policy.c" ] || [ ! -f "$src/Makefile" ]; then
		echo "$0: $src is not a kernel source tree" >&2
		exit 1
	fi
	if [ -e "$src/$STAMP_NAME" ]; then
		echo "$0: $src is already edited ($(cat "$src/$STAMP_NAME")); use a fresh copy" >&2
		exit 1
	fi
	if ! grep -q '^PATCHLEVEL = 1$' "$src/Makefile" ||
		! grep -q '^VERSION = 6$' "$src/Makefile"; then
		echo "$0: $src is not a 6.1 kernel" >&2
		exit 1
	fi
}

# Apply all replacements (python3: exact string matching, all or nothing).
apply_edits() {
	local src=$1 gc_limit=$2
	python3 - "$src" "$gc_limit" <<'PYEOF'
import os
import sys

src, gc_limit = sys.argv[1], sys.argv[2] == "1"

MARKER = ("xfrm: affected model: per-netns xfrm dst_ops share "
          "the template's percpu counters")
GC_MARKER = "xfrm: affected model: xfrm dst allocation fails above 2*gc_thresh"


def net_init_edit(fam):
    """Per-net copy without its own dst_entries_init()/destroy()."""
    old = f"""\
	memcpy(&net->xfrm.xfrm{fam}_dst_ops, &xfrm{fam}_dst_ops_template,
	       sizeof(xfrm{fam}_dst_ops_template));
	ret = dst_entries_init(&net->xfrm.xfrm{fam}_dst_ops);
	if (ret)
		return ret;

	ret = xfrm{fam}_net_sysctl_init(net);
	if (ret)
		dst_entries_destroy(&net->xfrm.xfrm{fam}_dst_ops);

	return ret;
"""
    new = f"""\
	/* XDA affected model: as before the fix, the copy keeps the
	 * template's percpu counters (no per-net dst_entries_init()).
	 */
	memcpy(&net->xfrm.xfrm{fam}_dst_ops, &xfrm{fam}_dst_ops_template,
	       sizeof(xfrm{fam}_dst_ops_template));
	ret = xfrm{fam}_net_sysctl_init(net);

	return ret;
"""
    return old, new


def net_exit_edit(fam):
    old = f"""\
	xfrm{fam}_net_sysctl_exit(net);
	dst_entries_destroy(&net->xfrm.xfrm{fam}_dst_ops);
}}
"""
    new = f"""\
	xfrm{fam}_net_sysctl_exit(net);
	/* XDA affected model: the counters belong to the template. */
}}
"""
    return old, new


xfrm4_init_old = """\
void __init xfrm4_init(void)
{
	xfrm4_state_init();
"""
gc_marker_line = f'\tpr_info("{GC_MARKER}\\n");\n' if gc_limit else ""
xfrm4_init_new = f"""\
void __init xfrm4_init(void)
{{
	/* XDA affected model: initialise the template once, as 4.1 did;
	 * every namespace's copy then shares these percpu counters.
	 */
	if (dst_entries_init(&xfrm4_dst_ops_template))
		panic("xfrm4: cannot allocate dst counters\\n");
	pr_info("{MARKER}\\n");
{gc_marker_line}\
	xfrm4_state_init();
"""

xfrm6_policy_init_old = """\
static int __init xfrm6_policy_init(void)
{
	return xfrm_policy_register_afinfo(&xfrm6_policy_afinfo, AF_INET6);
}

static void xfrm6_policy_fini(void)
{
	xfrm_policy_unregister_afinfo(&xfrm6_policy_afinfo);
}
"""
xfrm6_policy_init_new = """\
static int __init xfrm6_policy_init(void)
{
	int ret;

	/* XDA affected model: initialise the template once, as 4.1 did;
	 * every namespace's copy then shares these percpu counters.
	 */
	ret = dst_entries_init(&xfrm6_dst_ops_template);
	if (ret)
		return ret;
	ret = xfrm_policy_register_afinfo(&xfrm6_policy_afinfo, AF_INET6);
	if (ret)
		dst_entries_destroy(&xfrm6_dst_ops_template);
	return ret;
}

static void xfrm6_policy_fini(void)
{
	xfrm_policy_unregister_afinfo(&xfrm6_policy_afinfo);
	dst_entries_destroy(&xfrm6_dst_ops_template);
}
"""

alloc_dst_old = """\
	xdst = dst_alloc(dst_ops, NULL, 1, DST_OBSOLETE_NONE, 0);

	if (likely(xdst)) {
"""
alloc_dst_new = """\
	/* XDA affected model: the pre-4.14 rule.  The xfrm .gc hook returned
	 * "count > 2 * gc_thresh" and dst_alloc() then failed; callers saw
	 * -ENOBUFS.  Same comparisons as 4.1's dst_alloc() and
	 * xfrm4_garbage_collect().
	 */
	if (dst_entries_get_fast(dst_ops) > dst_ops->gc_thresh &&
	    dst_entries_get_slow(dst_ops) > dst_ops->gc_thresh * 2)
		xdst = NULL;
	else
		xdst = dst_alloc(dst_ops, NULL, 1, DST_OBSOLETE_NONE, 0);

	if (likely(xdst)) {
"""

EDITS = {
    "net/ipv4/xfrm4_policy.c": [
        net_init_edit(4), net_exit_edit(4), (xfrm4_init_old, xfrm4_init_new),
    ],
    "net/ipv6/xfrm6_policy.c": [
        net_init_edit(6), net_exit_edit(6),
        (xfrm6_policy_init_old, xfrm6_policy_init_new),
    ],
}
if gc_limit:
    EDITS["net/xfrm/xfrm_policy.c"] = [(alloc_dst_old, alloc_dst_new)]

# Compute every new file first; write only if all edits matched.
results = {}
for rel, edits in EDITS.items():
    path = os.path.join(src, rel)
    with open(path) as f:
        text = f.read()
    if "XDA affected model" in text:
        sys.exit(f"make-affected-model: {rel} is already edited")
    for i, (old, new) in enumerate(edits, 1):
        n = text.count(old)
        if n != 1:
            sys.exit(f"make-affected-model: {rel}: edit {i} expected text "
                     f"found {n} times (need exactly 1):\n{old}")
        text = text.replace(old, new)
    results[path] = text

for path, text in results.items():
    with open(path, "w") as f:
        f.write(text)
    print(f"make-affected-model: edited {os.path.relpath(path, src)}")
PYEOF
}

main() {
	local gc_limit=1 src
	while [ $# -gt 0 ]; do
		case $1 in
		--gc-limit) gc_limit=1 ;;
		--no-gc-limit) gc_limit=0 ;;
		-h | --help) usage ;;
		-*) usage ;;
		*) break ;;
		esac
		shift
	done
	[ $# -eq 1 ] || usage
	src=$1

	check_src_dir "$src"
	apply_edits "$src" "$gc_limit"
	echo "affected-model gc_limit=$gc_limit" >"$src/$STAMP_NAME"
}

main "$@"
