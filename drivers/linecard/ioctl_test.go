package linecard

import "testing"

// The expected values were printed by a C program that expands the
// kernel's own _IO/_IOR/_IOW/_IOWR macros (linux/ioctl.h) with the
// arguments dahdi/user.h gives each request.
func TestIoctl_NumbersMatchKernelMacros(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want uint32
	}{
		{"DAHDI_SET_BLOCKSIZE", ioctlSetBlocksize, 0x4004da01},
		{"DAHDI_FLUSH", ioctlFlush, 0x4004da03},
		{"DAHDI_SYNC", ioctlSync, 0xda04},
		{"DAHDI_GET_PARAMS", ioctlGetParams, 0xc088da05},
		{"DAHDI_HOOK", ioctlHook, 0x4004da07},
		{"DAHDI_GETEVENT", ioctlGetEvent, 0x8004da08},
		{"DAHDI_IOMUX", ioctlIOMux, 0xc004da09},
		{"DAHDI_DIAL", ioctlDial, 0x4104da1f},
		{"DAHDI_AUDIOMODE", ioctlAudioMode, 0x4004da20},
		{"DAHDI_SPECIFY", ioctlSpecify, 0x4004da26},
		{"DAHDI_SETLAW", ioctlSetLaw, 0x4004da27},
		{"DAHDI_SETLINEAR", ioctlSetLinear, 0x4004da28},
		{"DAHDI_TONEDETECT", ioctlToneDetect, 0x4004da5b},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %#x, want %#x", tc.name, tc.got, tc.want)
		}
	}
	if paramsSize != 136 {
		t.Errorf("sizeof(struct dahdi_params) = %d, want 136", paramsSize)
	}
}
