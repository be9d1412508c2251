package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Page flags and element layouts of bbolt's file format, used to walk a
// file's page tree with ordinary reads before bbolt is allowed to map and
// follow it. bbolt trusts every offset and page number it reads, so a
// damaged or hostile file (an uploaded backup) can make it read outside
// its map, loop, or copy gigabytes; the walk refuses such files first.
const (
	pageBranch     = 0x01
	pageLeaf       = 0x02
	pageFreelist   = 0x10
	elemSize       = 16 // branch: pos u32, ksize u32, pgid u64; leaf: flags u32, pos u32, ksize u32, vsize u32
	leafBucketFlag = 0x01
	inBucketSize   = 16 // root pgid u64, sequence u64
	maxTreeDepth   = 64
)

// pageWalker reads pages of one file through its ReaderAt.
type pageWalker struct {
	r        io.ReaderAt
	pageSize uint64
	pgid     uint64 // high-water mark
	seen     map[uint64]bool
}

// walkFile checks the page structure of the bbolt file f: every
// page a bucket refers to lies inside the file and is a branch or leaf
// page, no page is referred to twice (no cycles), every key and value lies
// inside its page, and the free list names pages inside the file.
func walkFile(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	head := make([]byte, headerProbeBytes)
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	m, err := pickMeta(head[:n], st.Size())
	if err != nil {
		return err
	}
	return walkPages(f, m)
}

func walkPages(r io.ReaderAt, m boltMeta) error {
	w := &pageWalker{r: r, pageSize: uint64(m.pageSize), pgid: m.pgid, seen: map[uint64]bool{0: true, 1: true}}
	// bbolt's page check asserts (panics) that both meta pages name
	// themselves, even the one it does not use.
	for id := uint64(0); id < 2; id++ {
		hdr := make([]byte, pageHeaderSize)
		if _, err := r.ReadAt(hdr, int64(id*w.pageSize)); err != nil {
			return fmt.Errorf("%w: meta page %d: %v", errNotBolt, id, err)
		}
		if binary.LittleEndian.Uint64(hdr[0:8]) != id || binary.LittleEndian.Uint16(hdr[8:10]) != metaPageFlag {
			return fmt.Errorf("%w: meta page %d is damaged", errNotBolt, id)
		}
	}
	if m.freelist != pgidNoFreelist {
		if err := w.freelist(m.freelist); err != nil {
			return err
		}
	}
	return w.tree(m.root, 0)
}

// page reads page id with its overflow pages.
func (w *pageWalker) page(id uint64, want uint16) ([]byte, error) {
	if id < 2 || id >= w.pgid {
		return nil, fmt.Errorf("%w: page %d outside the file's %d pages", errNotBolt, id, w.pgid)
	}
	if w.seen[id] {
		return nil, fmt.Errorf("%w: page %d is referred to twice", errNotBolt, id)
	}
	hdr := make([]byte, pageHeaderSize)
	if _, err := w.r.ReadAt(hdr, int64(id*w.pageSize)); err != nil {
		return nil, fmt.Errorf("%w: page %d: %v", errNotBolt, id, err)
	}
	if got := binary.LittleEndian.Uint64(hdr[0:8]); got != id {
		return nil, fmt.Errorf("%w: page %d says it is page %d", errNotBolt, id, got)
	}
	// Exactly one type flag, as bbolt asserts.
	flags := binary.LittleEndian.Uint16(hdr[8:10])
	if flags&want == 0 || flags&(flags-1) != 0 {
		return nil, fmt.Errorf("%w: page %d has type %#x", errNotBolt, id, flags)
	}
	overflow := uint64(binary.LittleEndian.Uint32(hdr[12:16]))
	if id+overflow >= w.pgid {
		return nil, fmt.Errorf("%w: page %d runs past the end of the file", errNotBolt, id)
	}
	for i := id; i <= id+overflow; i++ {
		if w.seen[i] {
			return nil, fmt.Errorf("%w: page %d overlaps page %d", errNotBolt, id, i)
		}
		w.seen[i] = true
	}
	buf := make([]byte, (overflow+1)*w.pageSize)
	if _, err := w.r.ReadAt(buf, int64(id*w.pageSize)); err != nil {
		return nil, fmt.Errorf("%w: page %d: %v", errNotBolt, id, err)
	}
	return buf, nil
}

func (w *pageWalker) freelist(id uint64) error {
	p, err := w.page(id, pageFreelist)
	if err != nil {
		return err
	}
	if binary.LittleEndian.Uint16(p[8:10]) != pageFreelist {
		return fmt.Errorf("%w: free list page %d has another type", errNotBolt, id)
	}
	count := uint64(binary.LittleEndian.Uint16(p[10:12]))
	start := uint64(pageHeaderSize)
	if count == 0xFFFF {
		count = binary.LittleEndian.Uint64(p[start:])
		start += 8
	}
	if count > (uint64(len(p))-start)/8 {
		return fmt.Errorf("%w: free list of %d entries does not fit its page", errNotBolt, count)
	}
	for i := uint64(0); i < count; i++ {
		if f := binary.LittleEndian.Uint64(p[start+8*i:]); f < 2 || f >= w.pgid {
			return fmt.Errorf("%w: free list names page %d outside the file", errNotBolt, f)
		}
	}
	return nil
}

// tree walks the bucket tree rooted at page id.
func (w *pageWalker) tree(id uint64, depth int) error {
	if depth > maxTreeDepth {
		return fmt.Errorf("%w: page tree deeper than %d", errNotBolt, maxTreeDepth)
	}
	p, err := w.page(id, pageBranch|pageLeaf)
	if err != nil {
		return err
	}
	switch binary.LittleEndian.Uint16(p[8:10]) {
	case pageBranch:
		return w.branch(id, p, depth)
	case pageLeaf:
		return w.leaf(id, p, depth)
	}
	return fmt.Errorf("%w: page %d is neither branch nor leaf", errNotBolt, id)
}

func (w *pageWalker) branch(id uint64, p []byte, depth int) error {
	count := int(binary.LittleEndian.Uint16(p[10:12]))
	if count == 0 || pageHeaderSize+count*elemSize > len(p) {
		return fmt.Errorf("%w: branch page %d holds %d elements", errNotBolt, id, count)
	}
	for i := 0; i < count; i++ {
		at := pageHeaderSize + i*elemSize
		e := p[at : at+elemSize]
		if err := inside(p, at, binary.LittleEndian.Uint32(e[0:4]), binary.LittleEndian.Uint32(e[4:8]), 0); err != nil {
			return fmt.Errorf("%w: branch page %d element %d: %v", errNotBolt, id, i, err)
		}
		if err := w.tree(binary.LittleEndian.Uint64(e[8:16]), depth+1); err != nil {
			return err
		}
	}
	return nil
}

// leaf checks a leaf page (or an inline bucket's page held in a value)
// and walks the buckets it holds.
func (w *pageWalker) leaf(id uint64, p []byte, depth int) error {
	count := int(binary.LittleEndian.Uint16(p[10:12]))
	if pageHeaderSize+count*elemSize > len(p) {
		return fmt.Errorf("%w: leaf page %d holds %d elements", errNotBolt, id, count)
	}
	for i := 0; i < count; i++ {
		at := pageHeaderSize + i*elemSize
		e := p[at : at+elemSize]
		flags := binary.LittleEndian.Uint32(e[0:4])
		pos, ksize, vsize := binary.LittleEndian.Uint32(e[4:8]), binary.LittleEndian.Uint32(e[8:12]), binary.LittleEndian.Uint32(e[12:16])
		if err := inside(p, at, pos, ksize, vsize); err != nil {
			return fmt.Errorf("%w: leaf page %d element %d: %v", errNotBolt, id, i, err)
		}
		if flags&leafBucketFlag == 0 {
			continue
		}
		if vsize < inBucketSize {
			return fmt.Errorf("%w: leaf page %d element %d: short bucket header", errNotBolt, id, i)
		}
		start := at + int(pos) + int(ksize)
		v := p[start : start+int(vsize)]
		root := binary.LittleEndian.Uint64(v[0:8])
		if root != 0 {
			if err := w.tree(root, depth+1); err != nil {
				return err
			}
			continue
		}
		// An inline bucket: its page is the rest of the value.
		inline := v[inBucketSize:]
		if len(inline) < pageHeaderSize || binary.LittleEndian.Uint16(inline[8:10]) != pageLeaf {
			return fmt.Errorf("%w: leaf page %d element %d: bad inline bucket", errNotBolt, id, i)
		}
		if depth+1 > maxTreeDepth {
			return fmt.Errorf("%w: buckets nested deeper than %d", errNotBolt, maxTreeDepth)
		}
		if err := w.leaf(id, inline, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// inside checks that an element's key and value, which start pos bytes
// after the element at offset at, lie within the page p.
func inside(p []byte, at int, pos, ksize, vsize uint32) error {
	end := uint64(at) + uint64(pos) + uint64(ksize) + uint64(vsize)
	if pos < elemSize && (ksize > 0 || vsize > 0) || end > uint64(len(p)) {
		return fmt.Errorf("key/value at +%d (%d+%d bytes) outside the %d-byte page", pos, ksize, vsize, len(p))
	}
	return nil
}
