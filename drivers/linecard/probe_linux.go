package linecard

import "golang.org/x/sys/unix"

// channelNumber is the DAHDI channel number of a device node: its minor
// number.
func channelNumber(path string) (int, bool) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR {
		return 0, false
	}
	return int(unix.Minor(uint64(st.Rdev))), true
}
