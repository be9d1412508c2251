################################################################################
#
# callbox
#
################################################################################

# The package is the repository this BR2_EXTERNAL tree lives in.
CALLBOX_SITE = $(BR2_EXTERNAL_CALLBOX_PATH)/..
CALLBOX_SITE_METHOD = local
CALLBOX_VERSION = $(shell git -C $(BR2_EXTERNAL_CALLBOX_PATH) describe --tags --always --dirty 2>/dev/null || echo dev)
CALLBOX_LICENSE = Proprietary
# Leave out what `make run`, `make cross` and a Buildroot output dir left
# in the checkout (anchored, so no package directory is caught by name).
CALLBOX_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = \
	--exclude /.git --exclude /data --exclude /dist --exclude /bin --exclude '/buildroot/output*'

CALLBOX_GOMOD = callbox
CALLBOX_BUILD_TARGETS = cmd/callbox
CALLBOX_LDFLAGS = -s -w -X main.version=$(CALLBOX_VERSION)
# One static binary on every board: no C toolchain involved, no libc
# dependency, the same build as `make cross`.
CALLBOX_GO_ENV = CGO_ENABLED=0

# The download step vendors modules only for fetched sources; a local
# source is vendored here, once host-go exists, straight from the modules'
# repositories as Buildroot's own Go downloads do (set CALLBOX_GOPROXY to
# use a proxy or a local mirror instead).
CALLBOX_GOPROXY ?= direct
define CALLBOX_VENDOR_MODULES
	cd $(@D) && $(HOST_GO_COMMON_ENV) GOFLAGS=-mod=mod GOPROXY=$(CALLBOX_GOPROXY) \
		$(GO_BIN) mod vendor
endef
CALLBOX_PRE_BUILD_HOOKS += CALLBOX_VENDOR_MODULES

# The init script and the respawn loop come with the board's rootfs
# overlay (board/callbox/rootfs_overlay), which every callbox defconfig uses.
define CALLBOX_INSTALL_TARGET_DATADIR
	mkdir -p $(TARGET_DIR)/var/lib/callbox
	chmod 0750 $(TARGET_DIR)/var/lib/callbox
endef
CALLBOX_POST_INSTALL_TARGET_HOOKS += CALLBOX_INSTALL_TARGET_DATADIR

$(eval $(golang-package))
