# SPDX-License-Identifier: GPL-2.0
#
#   make              build against the running kernel (or KDIR=...)
#   make check        sparse (C=2) and checkpatch --strict: zero findings
#   make test         KUnit suites on the stock and affected-model test kernels
#   make clean

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || \
		rm -rf src/*.o kunit/*.o *.o *.ko *.mod* .*.cmd src/.*.cmd \
			kunit/.*.cmd Module.symvers modules.order

check:
	scripts/check.sh

test:
	scripts/test.sh

.PHONY: all modules clean check test
