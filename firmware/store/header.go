package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// bbolt's on-disk meta page, read here before bbolt sees a file: bbolt
// trusts its meta page and memory-maps the file, so a truncated file would
// fault (SIGBUS) deep inside it instead of returning an error. These
// offsets follow bbolt's file format (version 2); all our targets are
// little-endian, as bbolt writes in native order.
const (
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	pageHeaderSize   = 16 // id u64, flags u16, count u16, overflow u32
	metaSize         = 64 // magic, version, pageSize, flags, root{pgid,seq}, freelist, pgid, txid, checksum
	metaChecksumOff  = 56
	metaPageFlag     = 0x04
	pgidNoFreelist   = ^uint64(0)
	minPageSize      = 512
	maxPageSize      = 64 << 10
	headerProbeBytes = 2*maxPageSize + pageHeaderSize + metaSize
)

// boltMeta is the part of a meta page we check.
type boltMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	pgid     uint64 // high-water mark: pages the file must hold
	txid     uint64
}

var errNotBolt = errors.New("not a bbolt file")

// parseMeta reads one meta page at p (the page header then the meta).
func parseMeta(p []byte) (boltMeta, error) {
	if len(p) < pageHeaderSize+metaSize {
		return boltMeta{}, fmt.Errorf("%w: short meta page", errNotBolt)
	}
	if binary.LittleEndian.Uint16(p[8:10])&metaPageFlag == 0 {
		return boltMeta{}, fmt.Errorf("%w: page is not a meta page", errNotBolt)
	}
	m := p[pageHeaderSize : pageHeaderSize+metaSize]
	if binary.LittleEndian.Uint32(m[0:4]) != boltMagic {
		return boltMeta{}, fmt.Errorf("%w: bad magic", errNotBolt)
	}
	if v := binary.LittleEndian.Uint32(m[4:8]); v != boltVersion {
		return boltMeta{}, fmt.Errorf("%w: format version %d", errNotBolt, v)
	}
	h := fnv.New64a()
	h.Write(m[:metaChecksumOff])
	if h.Sum64() != binary.LittleEndian.Uint64(m[metaChecksumOff:]) {
		return boltMeta{}, fmt.Errorf("%w: meta checksum mismatch", errNotBolt)
	}
	bm := boltMeta{
		pageSize: binary.LittleEndian.Uint32(m[8:12]),
		root:     binary.LittleEndian.Uint64(m[16:24]),
		freelist: binary.LittleEndian.Uint64(m[32:40]),
		pgid:     binary.LittleEndian.Uint64(m[40:48]),
		txid:     binary.LittleEndian.Uint64(m[48:56]),
	}
	if bm.pageSize < minPageSize || bm.pageSize > maxPageSize || bm.pageSize&(bm.pageSize-1) != 0 {
		return boltMeta{}, fmt.Errorf("%w: page size %d", errNotBolt, bm.pageSize)
	}
	if bm.pgid < 4 || bm.root < 2 || bm.root >= bm.pgid || (bm.freelist != pgidNoFreelist && (bm.freelist < 2 || bm.freelist >= bm.pgid)) {
		return boltMeta{}, fmt.Errorf("%w: page numbers out of range", errNotBolt)
	}
	return bm, nil
}

// checkHeader validates the first bytes of a bbolt file of fileSize bytes:
// at least one valid meta page, and a file long enough for every page the
// newest valid meta page refers to. It is the check that keeps a
// truncated file away from bbolt's memory map.
func checkHeader(head []byte, fileSize int64) error {
	_, err := pickMeta(head, fileSize)
	return err
}

// pickMeta returns the meta page bbolt will use, after checkHeader's checks.
func pickMeta(head []byte, fileSize int64) (boltMeta, error) {
	m0, err0 := parseMeta(head)
	var pageSize uint32
	if err0 == nil {
		pageSize = m0.pageSize
	}
	// Like bbolt, if the first meta page is unreadable, look for the
	// second at the usual page sizes.
	var m1 boltMeta
	err1 := errNotBolt
	for _, ps := range []uint32{pageSize, 4096, 512, 1024, 2048, 8192, 16384, 32768, 65536} {
		if ps == 0 || int(ps) >= len(head) {
			continue
		}
		if m, err := parseMeta(head[ps:]); err == nil && m.pageSize == ps {
			m1, err1 = m, nil
			break
		}
	}
	var best boltMeta
	switch {
	case err0 == nil && err1 == nil:
		if m0.pageSize != m1.pageSize {
			return boltMeta{}, fmt.Errorf("%w: meta pages disagree on page size", errNotBolt)
		}
		best = m0
		if m1.txid > m0.txid {
			best = m1
		}
	case err0 == nil:
		best = m0
	case err1 == nil:
		best = m1
	default:
		return boltMeta{}, err0
	}
	need := best.pgid * uint64(best.pageSize)
	if best.pgid > 1<<40 || fileSize < 0 || uint64(fileSize) < need {
		return boltMeta{}, fmt.Errorf("%w: file is %d bytes but its pages need %d (truncated)", errNotBolt, fileSize, need)
	}
	return best, nil
}

// verifyFile runs checkHeader on f.
func verifyFile(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	head := make([]byte, headerProbeBytes)
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return checkHeader(head[:n], st.Size())
}

// lockShared opens path and takes the shared flock bbolt's readers take,
// waiting up to timeout for a writer (another running appliance) to let go;
// ErrLocked after that. While it is held no process can open the file for
// writing, so the plain reads of the header check and the page walk see
// a file that does not change under them.
func lockShared(path string, timeout time.Duration) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("store: lock %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("%w: %s", ErrLocked, path)
		}
		// A pacing loop, as bbolt's own lock wait.
		time.Sleep(50 * time.Millisecond)
	}
}

// verifyPath locks path shared and checks its header and, when deep, its
// page tree. The lock is released on return.
func verifyPath(path string, timeout time.Duration, deep bool) (problem error, err error) {
	f, err := lockShared(path, timeout)
	if err != nil {
		return nil, err
	}
	defer f.Close() // closing the descriptor drops the lock
	if problem := verifyFile(f); problem != nil {
		return problem, nil
	}
	if deep {
		return walkFile(f), nil
	}
	return nil, nil
}
