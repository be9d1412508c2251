package linecard

// Linux ioctl request numbers are built by the _IOC macro of
// <asm-generic/ioctl.h> (the encoding of amd64, arm64 and arm): two
// direction bits, 14 size bits, an 8-bit type and an 8-bit number.
const (
	iocNone  = 0
	iocWrite = 1
	iocRead  = 2

	iocNRShift   = 0
	iocTypeShift = 8
	iocSizeShift = 16
	iocDirShift  = 30
)

func ioc(dir, typ, nr, size uint32) uint32 {
	return dir<<iocDirShift | size<<iocSizeShift | typ<<iocTypeShift | nr<<iocNRShift
}

func ionone(typ, nr uint32) uint32     { return ioc(iocNone, typ, nr, 0) }
func iow(typ, nr, size uint32) uint32  { return ioc(iocWrite, typ, nr, size) }
func ior(typ, nr, size uint32) uint32  { return ioc(iocRead, typ, nr, size) }
func iowr(typ, nr, size uint32) uint32 { return ioc(iocRead|iocWrite, typ, nr, size) }

// dahdiCode is DAHDI's ioctl type byte (DAHDI_CODE in dahdi/user.h).
const dahdiCode = 0xDA

const sizeofInt = 4

// dialOp mirrors struct dahdi_dialoperation: an int op and a 256-byte
// dial string (DAHDI_MAX_DTMF_BUF).
type dialOp struct {
	Op      int32
	Dialstr [256]byte
}

// paramsSize is sizeof(struct dahdi_params): 12 ints, a 40-byte name,
// 11 ints and a u32 of alarms.
const paramsSize = 12*4 + 40 + 11*4 + 4

// The DAHDI requests the driver uses, as dahdi/user.h defines them.
var (
	ioctlSetBlocksize = iow(dahdiCode, 1, sizeofInt)
	ioctlFlush        = iow(dahdiCode, 3, sizeofInt)
	ioctlSync         = ionone(dahdiCode, 4)
	ioctlGetParams    = iowr(dahdiCode, 5, paramsSize)
	ioctlHook         = iow(dahdiCode, 7, sizeofInt)
	ioctlGetEvent     = ior(dahdiCode, 8, sizeofInt)
	ioctlIOMux        = iowr(dahdiCode, 9, sizeofInt)
	ioctlDial         = iow(dahdiCode, 31, 4+256)
	ioctlAudioMode    = iow(dahdiCode, 32, sizeofInt)
	ioctlSpecify      = iow(dahdiCode, 38, sizeofInt)
	ioctlSetLaw       = iow(dahdiCode, 39, sizeofInt)
	ioctlSetLinear    = iow(dahdiCode, 40, sizeofInt)
	ioctlToneDetect   = iow(dahdiCode, 91, sizeofInt)
)

// Arguments and results of the DAHDI requests (dahdi/user.h).
const (
	dahdiOnHook  = 0 // DAHDI_HOOK arguments
	dahdiOffHook = 1

	dahdiLawMulaw = 1 // DAHDI_SETLAW arguments
	dahdiLawAlaw  = 2

	dahdiDialOpAppend = 1

	dahdiFlushRead  = 1
	dahdiFlushWrite = 2
	dahdiFlushEvent = 4

	dahdiToneDetectOn   = 1 << 0
	dahdiToneDetectMute = 1 << 1

	dahdiEventOnHook       = 1
	dahdiEventRingOffHook  = 2
	dahdiEventWinkFlash    = 3
	dahdiEventAlarm        = 4
	dahdiEventNoAlarm      = 5
	dahdiEventDialComplete = 9
	dahdiEventPolarity     = 17
	dahdiEventRingBegin    = 18
	dahdiEventRemoved      = 20
	dahdiEventPulseDigit   = 1 << 16
	dahdiEventDTMFDown     = 1 << 17
	dahdiEventDTMFUp       = 1 << 18

	// errnoEventPending is the errno (ELAST in DAHDI's kernel headers)
	// a read or write returns while a signalling event waits for
	// DAHDI_GETEVENT.
	errnoEventPending = 500
)
