package source

import (
	"encoding/binary"
	"errors"
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

// protoValue reads the value of a field of wire type wire at b[i:]: for a
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

// eachField calls f with every field of the protobuf message b: its number, wire type,
// and its value (varints and fixed numbers) or bytes (length-delimited fields).
func eachField(b []byte, f func(num, wire int, v uint64, bs []byte) error) error {
	for i := 0; i < len(b); {
		num, wire, j, err := protoField(b, i)
		if err != nil {
			return err
		}
		v, bs, next, err := protoValue(b, j, wire)
		if err != nil {
			return err
		}
		i = next
		if err := f(num, wire, v, bs); err != nil {
			return err
		}
	}
	return nil
}

// parseFrame reads a ChunkedReadResponse frame and gives each of its series parts to
// add; the parts' chunk data point into frame and live until add returns.
func parseFrame(frame []byte, add func(*rawPart) error) error {
	var part rawPart
	return eachField(frame, func(num, wire int, _ uint64, bs []byte) error {
		if num != 1 || wire != 2 {
			return nil // query_index, or a field this reader does not know
		}
		part.labels, part.chunks = map[string]string{}, part.chunks[:0]
		if err := parseSeries(bs, &part); err != nil {
			return err
		}
		return add(&part)
	})
}

// parseSeries reads a ChunkedSeries: labels (field 1) and chunks (field 2).
func parseSeries(b []byte, part *rawPart) error {
	return eachField(b, func(num, wire int, _ uint64, bs []byte) error {
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
		return nil
	})
}

// parseLabel reads a Label: name (field 1) and value (field 2).
func parseLabel(b []byte) (name, value string, err error) {
	err = eachField(b, func(num, _ int, _ uint64, bs []byte) error {
		switch num {
		case 1:
			name = string(bs)
		case 2:
			value = string(bs)
		}
		return nil
	})
	return name, value, err
}

// parseChunk reads a Chunk: min_time_ms (1), max_time_ms (2), type (3) and data (4).
func parseChunk(b []byte) (rawChunk, error) {
	var c rawChunk
	err := eachField(b, func(num, _ int, v uint64, bs []byte) error {
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
		return nil
	})
	return c, err
}

// refill tops up buf, which holds n bits at its top, with whole bytes of b from pos:
// eight at a time where there are eight. It returns the new pos, buf and n.
func refill(b []byte, pos int, buf uint64, n uint) (int, uint64, uint) {
	if pos+8 <= len(b) {
		// The bits of a byte only partly taken stay below n: they are the stream's next
		// bits, and the next refill ORs the same bits onto them.
		take := (64 - n) >> 3
		buf |= binary.BigEndian.Uint64(b[pos:]) >> n
		pos += int(take)
		n += take << 3
		return pos, buf, n
	}
	for n <= 56 && pos < len(b) {
		buf |= uint64(b[pos]) << (56 - n)
		pos++
		n += 8
	}
	return pos, buf, n
}

// read64 reads 64 bits from the stream at b[pos:] behind buf (n bits), 32 at a time:
// the buffer never holds 64 new bits after a refill. ok is false when the bits end first.
func read64(b []byte, pos int, buf uint64, n uint) (v uint64, _ int, _ uint64, _ uint, ok bool) {
	for range 2 {
		if n < 32 {
			if pos, buf, n = refill(b, pos, buf, n); n < 32 {
				return 0, pos, buf, n, false
			}
		}
		v, buf, n = v<<32|buf>>32, buf<<32, n-32
	}
	return v, pos, buf, n, true
}

// errChunk is a chunk whose bits end before its samples do, or that breaks the format.
var errChunk = errors.New("remote read: truncated or malformed XOR chunk")

// decodeXOR appends the samples of a Prometheus XOR chunk to ts and vs, leaving out
// staleness markers. The bit stream is read through one 64-bit buffer kept in locals:
// this loop decodes every sample of a panel's history.
func decodeXOR(data []byte, ts []int64, vs []float64) ([]int64, []float64, error) {
	if len(data) < 2 {
		return ts, vs, errChunk
	}
	total := int(binary.BigEndian.Uint16(data))
	if total == 0 {
		return ts, vs, nil
	}
	b := data[2:]
	// The first sample: a varint time, then the value's 64 bits.
	t, pos := binary.Varint(b)
	if pos <= 0 {
		return ts, vs, errChunk
	}
	var (
		buf               uint64
		n                 uint
		vb                uint64
		delta             int64
		leading, trailing uint
	)
	var ok bool
	if vb, pos, buf, n, ok = read64(b, pos, buf, n); !ok {
		return ts, vs, errChunk
	}
	ts, vs = keep(ts, vs, t, vb)
	for i := 1; i < total; i++ {
		if n < 24 {
			if pos+8 <= len(b) { // refill, inlined
				buf |= binary.BigEndian.Uint64(b[pos:]) >> n
				pos += int((64 - n) >> 3)
				n += (64 - n) >> 3 << 3
			} else {
				pos, buf, n = refill(b, pos, buf, n)
			}
		}
		if i == 1 {
			// The second sample's time: a uvarint delta, written byte by byte into the bits.
			var d uint64
			for sh := uint(0); ; sh += 7 {
				if n < 8 {
					if pos, buf, n = refill(b, pos, buf, n); n < 8 {
						return ts, vs, errChunk
					}
				}
				c := buf >> 56
				buf, n = buf<<8, n-8
				d |= (c & 0x7f) << sh
				if c < 0x80 {
					break
				}
				if sh >= 63 {
					return ts, vs, errChunk
				}
			}
			delta = int64(d)
		} else {
			// A delta of time deltas: 0, or 14, 17, 20 or 64 signed bits after 10, 110,
			// 1110 or 1111.
			var sz uint
			var pre uint
			switch {
			case buf>>63 == 0:
				pre = 1
			case buf>>62 == 2:
				pre, sz = 2, 14
			case buf>>61 == 6:
				pre, sz = 3, 17
			case buf>>60 == 14:
				pre, sz = 4, 20
			default:
				pre, sz = 4, 64
			}
			if n < pre+min(sz, 20) {
				return ts, vs, errChunk
			}
			buf, n = buf<<pre, n-pre
			switch sz {
			case 0:
			case 64:
				var v uint64
				var ok bool
				if v, pos, buf, n, ok = read64(b, pos, buf, n); !ok {
					return ts, vs, errChunk
				}
				delta += int64(v)
			default:
				v := buf >> (64 - sz)
				buf, n = buf<<sz, n-sz
				if v > 1<<(sz-1) { // negative numbers come back as high unsigned ones
					v -= 1 << sz
				}
				delta += int64(v)
			}
		}
		t += delta
		// The value: unchanged (0), or XOR bits in the last window (10) or in a new one
		// (11, then 5 bits of leading zeros and 6 of meaningful bits).
		if n < 13 {
			if pos+8 <= len(b) { // refill, inlined
				buf |= binary.BigEndian.Uint64(b[pos:]) >> n
				pos += int((64 - n) >> 3)
				n += (64 - n) >> 3 << 3
			} else {
				pos, buf, n = refill(b, pos, buf, n)
			}
		}
		if n < 1 {
			return ts, vs, errChunk
		}
		if buf>>63 == 0 {
			buf, n = buf<<1, n-1
			ts, vs = keep(ts, vs, t, vb)
			continue
		}
		if n < 2 {
			return ts, vs, errChunk
		}
		if buf>>62&1 == 0 {
			buf, n = buf<<2, n-2
		} else {
			if n < 13 {
				return ts, vs, errChunk
			}
			l, m := uint(buf<<2>>59), uint(buf<<7>>58)
			buf, n = buf<<13, n-13
			if m == 0 {
				m = 64
			}
			if l+m > 64 {
				return ts, vs, errChunk
			}
			leading, trailing = l, 64-l-m
		}
		mbits := 64 - leading - trailing
		var x uint64
		if mbits > 32 {
			if n < 32 {
				if pos, buf, n = refill(b, pos, buf, n); n < 32 {
					return ts, vs, errChunk
				}
			}
			x, buf, n = buf>>32, buf<<32, n-32
			mbits -= 32
		}
		if n < mbits {
			if pos, buf, n = refill(b, pos, buf, n); n < mbits {
				return ts, vs, errChunk
			}
		}
		x = x<<mbits | buf>>(64-mbits)
		buf, n = buf<<mbits, n-mbits
		vb ^= x << trailing
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
