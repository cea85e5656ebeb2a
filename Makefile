# SPDX-License-Identifier: GPL-2.0
#
#   make              build against the running kernel (or KDIR=...)
#   make check        sparse (C=2), checkpatch --strict and the docs check: zero findings
#   make test         everything CI runs; ends with "N passed, N failed, N skipped"
#   make newer        the 6.12 PREEMPT and PREEMPT_RT test kernels, Debian's 6.12 images
#   make demo         the defect and the fix side by side, in a VM
#   make e2e          the IPsec scenario on Debian's, the stock and the affected kernel
#   make bench        what the module costs, measured in the test VM
#   make torture      load/unload under traffic, netns churn and CPU hotplug
#   make debug        KUnit and e2e on the debug kernels (KASAN, lockdep, kmemleak)
#   make faults       every allocation of load and netns creation failed in turn
#   make ipv6m        IPv6 built as a module, loaded before and after this one
#   make deb          xfrm-dst-acct-dkms_<version>_all.deb in out/
#   make rpm          xfrm-dst-acct-dkms-<version>-1.noarch.rpm in out/ (EL hosts)
#   make deb-roundtrip, make rpm-roundtrip
#                     install, dkms status, remove (as root, one after the other)
#   make test-status  the status tool's suite (scripts/status/test.sh)
#   make clean
#
# test, newer, e2e, debug, faults and ipv6m run their plan in
# scripts/plans/ (scripts/run-plan.sh); ARGS="KERNEL[:MODE]..." keeps the
# runs of those kernels:
#   make e2e ARGS="stock:force affected:auto"
# Every target that boots a kernel takes the one you point at (make demo
# and make newer refuse it, saying why):
#   make e2e KERNEL=/boot/vmlinuz-R MODULES=/lib/modules/R [BUILD=dir]
# XDA_KEEP=dir keeps every log there; a run that fails keeps its logs and
# says where.

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build

# What the scripts are given; not put into their environment.
RUN_ARGS = $(ARGS)
unexport ARGS

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || \
		rm -rf src/*.o kunit/*.o *.o *.ko *.mod* .*.cmd src/.*.cmd \
			kunit/.*.cmd Module.symvers modules.order

check:
	scripts/check.sh $(RUN_ARGS)

test:
	scripts/run-plan.sh test $(RUN_ARGS)

newer:
	scripts/run-plan.sh newer $(RUN_ARGS)

demo:
	scripts/e2e/demo.sh $(RUN_ARGS)

e2e:
	scripts/run-plan.sh e2e $(RUN_ARGS)

bench:
	scripts/bench/run.sh $(RUN_ARGS)

torture:
	scripts/torture/run.sh $(RUN_ARGS)

debug:
	scripts/run-plan.sh debug $(RUN_ARGS)

faults:
	scripts/run-plan.sh faults $(RUN_ARGS)

ipv6m:
	scripts/run-plan.sh ipv6m $(RUN_ARGS)

deb:
	scripts/deb/build.sh $(RUN_ARGS)

deb-roundtrip: deb
	scripts/deb/roundtrip.sh

rpm:
	scripts/rpm/build.sh

rpm-roundtrip: rpm
	scripts/rpm/roundtrip.sh

test-status:
	scripts/status/test.sh $(RUN_ARGS)

.PHONY: all modules clean check test newer demo e2e bench torture debug faults ipv6m deb deb-roundtrip rpm rpm-roundtrip test-status
