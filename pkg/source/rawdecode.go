package source

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The decoding of raw reads, written for speed: a remote-read answer for a 30-day panel
// carries tens of millions of samples, and the general decoders (protobuf messages that
// copy every chunk, a chunk iterator behind an interface) cost more than the figures.

// rawChunk is one chunk of a streamed series, its data pointing into the frame.
type rawChunk struct {
	minT, maxT int64
	enc        int64 // prompb.Chunk_Encoding
	data       []byte
}

// rawPart is one part of a streamed series: its labels and some of its chunks.
type rawPart struct {
	labels map[string]string
	chunks []rawChunk
}

// errFrame is a frame that is not a well-formed ChunkedReadResponse.
var errFrame = errors.New("remote read: malformed frame")

// protoField reads one field's key at b[i:], returning its number, wire type and the index after the key.
func protoField(b []byte, i int) (num, wire int, next int, err error) {
	k, n := binary.Uvarint(b[i:])
	if n <= 0 {
		return 0, 0, 0, errFrame
	}
	return int(k >> 3), int(k & 7), i + n, nil
}

// protoSkipOrBytes reads the value of a field of wire type wire at b[i:]: for a
// length-delimited field its bytes, for a varint its value; it returns the index after it.
func protoValue(b []byte, i, wire int) (v uint64, bs []byte, next int, err error) {
	switch wire {
	case 0:
		x, n := binary.Uvarint(b[i:])
		if n <= 0 {
			return 0, nil, 0, errFrame
		}
		return x, nil, i + n, nil
	case 1:
		if i+8 > len(b) {
			return 0, nil, 0, errFrame
		}
		return binary.LittleEndian.Uint64(b[i:]), nil, i + 8, nil
	case 2:
		l, n := binary.Uvarint(b[i:])
		if n <= 0 || uint64(len(b)-i-n) < l {
			return 0, nil, 0, errFrame
		}
		s := i + n
		return 0, b[s : s+int(l)], s + int(l), nil
	case 5:
		if i+4 > len(b) {
			return 0, nil, 0, errFrame
		}
		return uint64(binary.LittleEndian.Uint32(b[i:])), nil, i + 4, nil
	}
	return 0, nil, 0, errFrame
}

// parseFrame reads a ChunkedReadResponse frame and gives each of its series parts to
// add; the parts' chunk data point into frame and live until add returns.
func parseFrame(frame []byte, add func(*rawPart) error) error {
	var part rawPart
	for i := 0; i < len(frame); {
		num, wire, j, err := protoField(frame, i)
		if err != nil {
			return err
		}
		_, bs, next, err := protoValue(frame, j, wire)
		if err != nil {
			return err
		}
		i = next
		if num != 1 || wire != 2 {
			continue // query_index, or a field this reader does not know
		}
		part.labels, part.chunks = map[string]string{}, part.chunks[:0]
		if err := parseSeries(bs, &part); err != nil {
			return err
		}
		if err := add(&part); err != nil {
			return err
		}
	}
	return nil
}

// parseSeries reads a ChunkedSeries: labels (field 1) and chunks (field 2).
func parseSeries(b []byte, part *rawPart) error {
	for i := 0; i < len(b); {
		num, wire, j, err := protoField(b, i)
		if err != nil {
			return err
		}
		_, bs, next, err := protoValue(b, j, wire)
		if err != nil {
			return err
		}
		i = next
		switch {
		case num == 1 && wire == 2:
			name, value, err := parseLabel(bs)
			if err != nil {
				return err
			}
			part.labels[name] = value
		case num == 2 && wire == 2:
			c, err := parseChunk(bs)
			if err != nil {
				return err
			}
			part.chunks = append(part.chunks, c)
		}
	}
	return nil
}

// parseLabel reads a Label: name (field 1) and value (field 2).
func parseLabel(b []byte) (name, value string, err error) {
	for i := 0; i < len(b); {
		num, wire, j, err := protoField(b, i)
		if err != nil {
			return "", "", err
		}
		_, bs, next, err := protoValue(b, j, wire)
		if err != nil {
			return "", "", err
		}
		i = next
		switch num {
		case 1:
			name = string(bs)
		case 2:
			value = string(bs)
		}
	}
	return name, value, nil
}

// parseChunk reads a Chunk: min_time_ms (1), max_time_ms (2), type (3) and data (4).
func parseChunk(b []byte) (rawChunk, error) {
	var c rawChunk
	for i := 0; i < len(b); {
		num, wire, j, err := protoField(b, i)
		if err != nil {
			return c, err
		}
		v, bs, next, err := protoValue(b, j, wire)
		if err != nil {
			return c, err
		}
		i = next
		switch num {
		case 1:
			c.minT = int64(v)
		case 2:
			c.maxT = int64(v)
		case 3:
			c.enc = int64(v)
		case 4:
			c.data = bs
		}
	}
	return c, nil
}

// bitReader reads a chunk's bit stream, most significant bit first.
type bitReader struct {
	b   []byte
	pos int
	buf uint64 // the next bits, at the top
	n   uint   // valid bits in buf
}

// bits reads k bits (1 to 64).
func (r *bitReader) bits(k uint) (uint64, bool) {
	if k > 56 {
		hi, ok := r.bits(k - 32)
		lo, ok2 := r.bits(32)
		return hi<<32 | lo, ok && ok2
	}
	if r.n < k {
		for r.n <= 56 && r.pos < len(r.b) {
			r.buf |= uint64(r.b[r.pos]) << (56 - r.n)
			r.pos++
			r.n += 8
		}
		if r.n < k {
			return 0, false
		}
	}
	v := r.buf >> (64 - k)
	r.buf <<= k
	r.n -= k
	return v, true
}

// bit reads one bit.
func (r *bitReader) bit() (bool, bool) {
	v, ok := r.bits(1)
	return v == 1, ok
}

// errChunk is a chunk whose bits end before its samples do.
var errChunk = errors.New("remote read: truncated XOR chunk")

// decodeXOR appends the samples of a Prometheus XOR chunk to ts and vs, leaving out
// staleness markers.
func decodeXOR(data []byte, ts []int64, vs []float64) ([]int64, []float64, error) {
	if len(data) < 2 {
		return ts, vs, errChunk
	}
	total := int(binary.BigEndian.Uint16(data))
	if total == 0 {
		return ts, vs, nil
	}
	r := &bitReader{b: data[2:]}
	// The first sample: a varint time and the value's 64 bits.
	t, n := binary.Varint(r.b)
	if n <= 0 {
		return ts, vs, errChunk
	}
	r.pos = n
	vb, ok := r.bits(64)
	if !ok {
		return ts, vs, errChunk
	}
	ts, vs = keep(ts, vs, t, vb)
	var delta int64
	leading, trailing := uint(0), uint(0)
	for i := 1; i < total; i++ {
		if i == 1 {
			// The second sample's time: a uvarint delta, read from the byte stream
			// where the bits stand (the writer wrote it bit by bit).
			d, err := r.uvarint()
			if err != nil {
				return ts, vs, err
			}
			delta = int64(d)
		} else {
			dod, err := r.dod()
			if err != nil {
				return ts, vs, err
			}
			delta += dod
		}
		t += delta
		var err error
		if vb, leading, trailing, err = r.xorValue(vb, leading, trailing); err != nil {
			return ts, vs, err
		}
		ts, vs = keep(ts, vs, t, vb)
	}
	return ts, vs, nil
}

// keep appends a sample unless it is a staleness marker.
func keep(ts []int64, vs []float64, t int64, vb uint64) ([]int64, []float64) {
	if vb == staleNaNBits {
		return ts, vs
	}
	return append(ts, t), append(vs, math.Float64frombits(vb))
}

// staleNaNBits is Prometheus's staleness marker.
const staleNaNBits = 0x7ff0000000000002

// uvarint reads a uvarint written into the bit stream byte by byte.
func (r *bitReader) uvarint() (uint64, error) {
	var x uint64
	for s := uint(0); s < 64; s += 7 {
		b, ok := r.bits(8)
		if !ok {
			return 0, errChunk
		}
		x |= (b & 0x7f) << s
		if b < 0x80 {
			return x, nil
		}
	}
	return 0, errChunk
}

// dod reads a delta of time deltas: 0, or 14, 17, 20 or 64 signed bits after a prefix
// of 10, 110, 1110 or 1111.
func (r *bitReader) dod() (int64, error) {
	var d byte
	for i := 0; i < 4; i++ {
		d <<= 1
		b, ok := r.bit()
		if !ok {
			return 0, errChunk
		}
		if !b {
			break
		}
		d |= 1
	}
	var sz uint
	switch d {
	case 0x00:
		return 0, nil
	case 0x02:
		sz = 14
	case 0x06:
		sz = 17
	case 0x0e:
		sz = 20
	case 0x0f:
		v, ok := r.bits(64)
		if !ok {
			return 0, errChunk
		}
		return int64(v), nil
	default:
		return 0, fmt.Errorf("remote read: bad time prefix %b", d)
	}
	v, ok := r.bits(sz)
	if !ok {
		return 0, errChunk
	}
	if v > 1<<(sz-1) { // negative numbers come back as high unsigned ones
		v -= 1 << sz
	}
	return int64(v), nil
}

// xorValue reads the next value as an XOR with the previous one's bits: unchanged, in
// the previous window of meaningful bits, or in a new window.
func (r *bitReader) xorValue(prev uint64, leading, trailing uint) (uint64, uint, uint, error) {
	changed, ok := r.bit()
	if !ok {
		return 0, 0, 0, errChunk
	}
	if !changed {
		return prev, leading, trailing, nil
	}
	newWindow, ok := r.bit()
	if !ok {
		return 0, 0, 0, errChunk
	}
	if newWindow {
		l, ok1 := r.bits(5)
		m, ok2 := r.bits(6)
		if !ok1 || !ok2 {
			return 0, 0, 0, errChunk
		}
		if m == 0 {
			m = 64
		}
		if uint(l)+uint(m) > 64 {
			return 0, 0, 0, errChunk
		}
		leading, trailing = uint(l), 64-uint(l)-uint(m)
	}
	mbits := 64 - leading - trailing
	if mbits == 0 || mbits > 64 {
		return 0, 0, 0, errChunk
	}
	bits, ok := r.bits(mbits)
	if !ok {
		return 0, 0, 0, errChunk
	}
	return prev ^ bits<<trailing, leading, trailing, nil
}
