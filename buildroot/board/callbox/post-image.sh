#!/usr/bin/env bash
# Buildroot post-image script for the callbox boards. Arguments: the images
# directory, then BR2_ROOTFS_POST_SCRIPT_ARGS (the board: x86_64, aarch64
# or armv7). It writes start-qemu.sh, which boots the image with the serial
# console (the technician CLI) on the terminal and the web UI and SIP
# forwarded to 127.0.0.1:8080 and 127.0.0.1:5060, and SHA256SUMS of the
# images.
set -euo pipefail

images="$1"
board="${2:-}"
fwd="hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp:127.0.0.1:5060-:5060"

case "$board" in
x86_64)
	cmd="qemu-system-x86_64 -M pc -m 512 -kernel bzImage \
-drive file=rootfs.ext2,if=virtio,format=raw \
-append 'rootwait root=/dev/vda console=ttyS0,115200' \
-netdev user,id=eth0,$fwd -device virtio-net-pci,netdev=eth0"
	;;
aarch64)
	cmd="qemu-system-aarch64 -M virt -cpu cortex-a53 -smp 2 -m 512 -kernel Image \
-drive file=rootfs.ext2,if=none,format=raw,id=hd0 -device virtio-blk-device,drive=hd0 \
-append 'rootwait root=/dev/vda console=ttyAMA0,115200' \
-netdev user,id=eth0,$fwd -device virtio-net-device,netdev=eth0"
	;;
armv7)
	cmd="qemu-system-arm -M vexpress-a9 -smp 1 -m 256 -kernel zImage -dtb vexpress-v2p-ca9.dtb \
-drive file=rootfs.ext2,if=sd,format=raw \
-append 'rootwait root=/dev/mmcblk0 console=ttyAMA0,115200' \
-net nic,model=lan9118 -net user,$fwd"
	;;
*)
	echo "post-image.sh: unknown board '$board' (want x86_64, aarch64 or armv7)" >&2
	exit 1
	;;
esac

cat > "$images/start-qemu.sh" <<SCRIPT
#!/bin/sh
# Boots the callbox $board image in QEMU; Ctrl-A X quits.
cd "\$(dirname "\$0")"
exec $cmd -nographic "\$@"
SCRIPT
chmod +x "$images/start-qemu.sh"

(cd "$images" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%P\n' | sort | xargs sha256sum > SHA256SUMS)
echo "callbox $board image in $images; boot it with $images/start-qemu.sh"
