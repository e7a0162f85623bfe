package store

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt's on-disk layout, mirrored here so a file can be checked through
// plain reads before bbolt maps it: bbolt trusts every page id and offset it
// finds, so a truncated or damaged file makes it read past the end of the
// mapping (SIGBUS, which no recover() can catch) or panic, and tx.Check walks
// the pages in a goroutine of its own. bbolt writes its structures in the
// machine's byte order.
const (
	pageHeaderSize  = 16 // id u64, flags u16, count u16, overflow u32
	elemSize        = 16 // branch: pos u32, ksize u32, pgid u64; leaf: flags, pos, ksize, vsize u32
	metaSize        = 64 // magic, version, pageSize, flags u32; root, sequence, freelist, pgid, txid, checksum u64
	metaSumOffset   = 56 // the checksum is FNV-64a over the meta bytes before it
	bucketHeader    = 16 // root pgid u64, sequence u64 (an inline bucket's page follows)
	boltMagic       = 0xED0CDAED
	boltVersion     = 2
	flagBranch      = 0x01
	flagLeaf        = 0x02
	flagMeta        = 0x04
	flagFreelist    = 0x10
	leafBucket      = 0x01
	noFreelist      = ^uint64(0)
	maxTreeDepth    = 256 // pages and nested buckets on one path; real files need < 20
	minPageSize     = 512
	maxPageSize     = 1 << 24
	freelistOverCnt = 0xFFFF // count field value meaning "the real count is the first id slot"
)

var ne = binary.NativeEndian

// boltMeta is one decoded meta page.
type boltMeta struct {
	pageSize uint64
	root     uint64
	freelist uint64
	hwm      uint64 // pgid: the number of pages in use (high-water mark)
	txid     uint64
}

// parseMeta decodes the meta page in buf (a page header then the meta) and
// validates it as bbolt does (magic, version, checksum) plus the page
// header bbolt writes (flag meta, id 0 or 1 as its position).
func parseMeta(buf []byte, pos uint64) (boltMeta, error) {
	if len(buf) < pageHeaderSize+metaSize {
		return boltMeta{}, fmt.Errorf("meta page %d cut short", pos)
	}
	m := buf[pageHeaderSize : pageHeaderSize+metaSize]
	if ne.Uint32(m[0:]) != boltMagic {
		return boltMeta{}, fmt.Errorf("meta page %d: not a bbolt file (bad magic)", pos)
	}
	if v := ne.Uint32(m[4:]); v != boltVersion {
		return boltMeta{}, fmt.Errorf("meta page %d: version %d, want %d", pos, v, boltVersion)
	}
	if fnvSum(m[:metaSumOffset]) != ne.Uint64(m[metaSumOffset:]) {
		return boltMeta{}, fmt.Errorf("meta page %d: checksum mismatch", pos)
	}
	if id, flags := ne.Uint64(buf[0:]), ne.Uint16(buf[8:]); id != pos || flags != flagMeta {
		return boltMeta{}, fmt.Errorf("meta page %d: page header id %d flags %#x", pos, id, flags)
	}
	return boltMeta{
		pageSize: uint64(ne.Uint32(m[8:])),
		root:     ne.Uint64(m[16:]),
		freelist: ne.Uint64(m[32:]),
		hwm:      ne.Uint64(m[40:]),
		txid:     ne.Uint64(m[48:]),
	}, nil
}

func fnvSum(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

// readMeta returns the meta bbolt will use for f (size bytes): the valid one
// with the highest txid, the page size found as bbolt finds it (meta 0's,
// else the first valid meta at 1 KiB·2^i).
func readMeta(f io.ReaderAt, size int64) (boltMeta, error) {
	buf := make([]byte, pageHeaderSize+metaSize)
	read := func(off int64) ([]byte, error) {
		if off+int64(len(buf)) > size {
			return nil, fmt.Errorf("file ends at %d bytes, before its meta page at %d", size, off)
		}
		if _, err := f.ReadAt(buf, off); err != nil {
			return nil, fmt.Errorf("read meta page at %d: %w", off, err)
		}
		return buf, nil
	}
	b, err := read(0)
	if err != nil {
		return boltMeta{}, err
	}
	m0, err0 := parseMeta(b, 0)
	ps := m0.pageSize
	if err0 != nil {
		ps = 0
		for i := 0; i <= 14; i++ {
			pos := int64(1024) << i
			if pos >= size-1024 {
				break
			}
			if b, err := read(pos); err == nil {
				if m, err := parseMeta(b, 1); err == nil {
					ps = m.pageSize
					break
				}
			}
		}
		if ps == 0 {
			return boltMeta{}, fmt.Errorf("no valid meta page (%v)", err0)
		}
	}
	if ps < minPageSize || ps > maxPageSize || ps&(ps-1) != 0 {
		return boltMeta{}, fmt.Errorf("page size %d is not valid", ps)
	}
	if size < int64(2*ps) {
		return boltMeta{}, fmt.Errorf("file is %d bytes, shorter than its two meta pages (%d)", size, 2*ps)
	}
	b, err = read(int64(ps))
	if err != nil {
		return boltMeta{}, err
	}
	m1, err1 := parseMeta(b, 1)
	// bbolt asserts (panics) on the page header of both meta pages, even
	// the one whose meta it does not use.
	for pos := uint64(0); pos < 2; pos++ {
		var hdr [pageHeaderSize]byte
		if _, err := f.ReadAt(hdr[:], int64(pos*ps)); err != nil {
			return boltMeta{}, fmt.Errorf("read meta page %d: %w", pos, err)
		}
		if id, flags := ne.Uint64(hdr[0:]), ne.Uint16(hdr[8:]); id != pos || flags != flagMeta {
			return boltMeta{}, fmt.Errorf("meta page %d: page header damaged (id %d, flags %#x)", pos, id, flags)
		}
	}
	switch {
	case err0 != nil && err1 != nil:
		return boltMeta{}, fmt.Errorf("both meta pages are damaged (%v; %v)", err0, err1)
	case err0 == nil && err1 == nil && m0.pageSize != m1.pageSize:
		return boltMeta{}, fmt.Errorf("meta pages disagree on the page size (%d, %d)", m0.pageSize, m1.pageSize)
	}
	m := m0
	if err0 != nil || (err1 == nil && m1.txid > m0.txid) {
		m = m1
	}
	if m.pageSize != ps {
		return boltMeta{}, fmt.Errorf("meta page size %d differs from %d", m.pageSize, ps)
	}
	return m, nil
}

// checkFile verifies the structure of the bbolt file at path with plain
// reads: the meta pages, the file size against the high-water mark, every
// page reachable from the root bucket (ids below the high-water mark,
// referenced once, of the right type, every element inside its page) and
// the freelist. After it passes, bbolt only touches bytes inside the file.
// It returns the meta bbolt will use.
func checkFile(path string) (boltMeta, error) {
	f, err := os.Open(path)
	if err != nil {
		return boltMeta{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return boltMeta{}, err
	}
	if !st.Mode().IsRegular() {
		return boltMeta{}, fmt.Errorf("not a regular file")
	}
	return checkReader(f, st.Size())
}

func checkReader(f io.ReaderAt, size int64) (boltMeta, error) {
	m, err := readMeta(f, size)
	if err != nil {
		return m, err
	}
	if m.hwm < 4 || m.hwm > uint64(size)/m.pageSize {
		return m, fmt.Errorf("file is %d bytes but its meta page says %d pages of %d bytes (%d bytes): the file was cut short",
			size, m.hwm, m.pageSize, m.hwm*m.pageSize)
	}
	if m.freelist == noFreelist {
		return m, fmt.Errorf("file has no stored freelist (not written by this app)")
	}
	w := &walker{f: f, ps: m.pageSize, hwm: m.hwm, seen: make([]uint64, (m.hwm+63)/64)}
	w.mark(0)
	w.mark(1)
	if err := w.tree(m.root, 0); err != nil {
		return m, fmt.Errorf("root bucket: %w", err)
	}
	if err := w.freelistPage(m.freelist); err != nil {
		return m, fmt.Errorf("freelist: %w", err)
	}
	return m, nil
}

// walker reads and checks pages, each at most once.
type walker struct {
	f    io.ReaderAt
	ps   uint64
	hwm  uint64
	seen []uint64 // bit set of page ids already referenced
}

func (w *walker) mark(id uint64) bool {
	word, bit := id/64, uint64(1)<<(id%64)
	if w.seen[word]&bit != 0 {
		return false
	}
	w.seen[word] |= bit
	return true
}

// page reads page id and its overflow pages, checking the id range, that no
// page is referenced twice and that the page's own header names it.
func (w *walker) page(id uint64, wantFlags uint16) ([]byte, error) {
	if id < 2 || id >= w.hwm {
		return nil, fmt.Errorf("page %d outside the file's %d pages", id, w.hwm)
	}
	var hdr [pageHeaderSize]byte
	if _, err := w.f.ReadAt(hdr[:], int64(id*w.ps)); err != nil {
		return nil, fmt.Errorf("read page %d: %w", id, err)
	}
	gotID, flags, over := ne.Uint64(hdr[0:]), ne.Uint16(hdr[8:]), uint64(ne.Uint32(hdr[12:]))
	if gotID != id {
		return nil, fmt.Errorf("page %d: header says page %d", id, gotID)
	}
	if flags != wantFlags && !(wantFlags == flagBranch|flagLeaf && (flags == flagBranch || flags == flagLeaf)) {
		return nil, fmt.Errorf("page %d: type %#x, want %#x", id, flags, wantFlags)
	}
	if id+over >= w.hwm {
		return nil, fmt.Errorf("page %d: %d overflow pages run past the file's %d pages", id, over, w.hwm)
	}
	for i := uint64(0); i <= over; i++ {
		if !w.mark(id + i) {
			return nil, fmt.Errorf("page %d referenced twice", id+i)
		}
	}
	buf := make([]byte, (over+1)*w.ps)
	if _, err := w.f.ReadAt(buf, int64(id*w.ps)); err != nil {
		return nil, fmt.Errorf("read page %d: %w", id, err)
	}
	return buf, nil
}

// tree checks the branch/leaf tree rooted at page id.
func (w *walker) tree(id uint64, depth int) error {
	if depth > maxTreeDepth {
		return fmt.Errorf("page %d: tree deeper than %d", id, maxTreeDepth)
	}
	buf, err := w.page(id, flagBranch|flagLeaf)
	if err != nil {
		return err
	}
	if ne.Uint16(buf[8:]) == flagLeaf {
		return w.leaf(buf, fmt.Sprintf("page %d", id), depth)
	}
	count := uint64(ne.Uint16(buf[10:]))
	if count == 0 {
		return fmt.Errorf("page %d: empty branch page", id)
	}
	if pageHeaderSize+count*elemSize > uint64(len(buf)) {
		return fmt.Errorf("page %d: %d elements do not fit in the page", id, count)
	}
	for i := uint64(0); i < count; i++ {
		eo := pageHeaderSize + i*elemSize
		pos, ksize, child := uint64(ne.Uint32(buf[eo:])), uint64(ne.Uint32(buf[eo+4:])), ne.Uint64(buf[eo+8:])
		if eo+pos+ksize > uint64(len(buf)) {
			return fmt.Errorf("page %d element %d: key outside the page", id, i)
		}
		if err := w.tree(child, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// leaf checks the elements of a leaf page (a file page or an inline
// bucket's page held in a value) and the buckets they hold.
func (w *walker) leaf(buf []byte, where string, depth int) error {
	if len(buf) < pageHeaderSize {
		return fmt.Errorf("%s: inline page cut short", where)
	}
	count := uint64(ne.Uint16(buf[10:]))
	if pageHeaderSize+count*elemSize > uint64(len(buf)) {
		return fmt.Errorf("%s: %d elements do not fit in the page", where, count)
	}
	for i := uint64(0); i < count; i++ {
		eo := pageHeaderSize + i*elemSize
		flags := ne.Uint32(buf[eo:])
		pos, ksize, vsize := uint64(ne.Uint32(buf[eo+4:])), uint64(ne.Uint32(buf[eo+8:])), uint64(ne.Uint32(buf[eo+12:]))
		if flags&^leafBucket != 0 {
			return fmt.Errorf("%s element %d: unknown flags %#x", where, i, flags)
		}
		start := eo + pos
		if start+ksize+vsize > uint64(len(buf)) {
			return fmt.Errorf("%s element %d: key or value outside the page", where, i)
		}
		if flags&leafBucket == 0 {
			continue
		}
		v := buf[start+ksize : start+ksize+vsize]
		if len(v) < bucketHeader {
			return fmt.Errorf("%s element %d: bucket header cut short", where, i)
		}
		sub := fmt.Sprintf("%s bucket %q", where, truncKey(buf[start:start+ksize]))
		if depth > maxTreeDepth {
			return fmt.Errorf("%s: buckets nested deeper than %d", sub, maxTreeDepth)
		}
		if root := ne.Uint64(v); root != 0 {
			if err := w.tree(root, depth+1); err != nil {
				return fmt.Errorf("%s: %w", sub, err)
			}
			continue
		}
		inline := v[bucketHeader:]
		if len(inline) < pageHeaderSize || ne.Uint16(inline[8:]) != flagLeaf {
			return fmt.Errorf("%s: inline page damaged", sub)
		}
		if err := w.leaf(inline, sub, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func truncKey(k []byte) string {
	if len(k) > 40 {
		return string(k[:40]) + "…"
	}
	return string(k)
}

// freelistPage checks the freelist: its page, its count, and that every
// free id is a page of the file that no tree references, listed once.
func (w *walker) freelistPage(id uint64) error {
	buf, err := w.page(id, flagFreelist)
	if err != nil {
		return err
	}
	first, count := uint64(0), uint64(ne.Uint16(buf[10:]))
	if count == freelistOverCnt {
		first, count = 1, ne.Uint64(buf[pageHeaderSize:])
	}
	if count > (uint64(len(buf))-pageHeaderSize)/8-first {
		return fmt.Errorf("page %d: %d free ids do not fit in the page", id, count)
	}
	for i := uint64(0); i < count; i++ {
		fid := ne.Uint64(buf[pageHeaderSize+(first+i)*8:])
		if fid < 2 || fid >= w.hwm {
			return fmt.Errorf("free page %d outside the file's %d pages", fid, w.hwm)
		}
		if !w.mark(fid) {
			return fmt.Errorf("free page %d is also in use or listed twice", fid)
		}
	}
	return nil
}
