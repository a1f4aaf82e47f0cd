package source

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/stretchr/testify/require"
)

// xorChunk encodes samples with Prometheus's own chunk appender.
func xorChunk(t testing.TB, ts []int64, vs []float64) []byte {
	c := chunkenc.NewXORChunk()
	app, err := c.Appender()
	require.NoError(t, err)
	for i := range ts {
		app.Append(0, ts[i], vs[i])
	}
	return c.Bytes()
}

// TestDecodeXOREqualsPrometheus checks the chunk decoder against Prometheus's iterator
// on chunks of every kind of time step (regular, jittered, gaps of hours and of years,
// backwards) and value (counters, resets, equal runs, random bits, NaN, ±Inf, zero,
// staleness markers), staleness markers left out.
func TestDecodeXOREqualsPrometheus(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	steps := map[string]func(i int) int64{
		"minute":   func(int) int64 { return 60000 },
		"jitter":   func(int) int64 { return 15000 + rng.Int64N(2000) - 1000 },
		"gaps":     func(int) int64 { return []int64{60000, 60000, 3600000, 1, 86400000 * 400}[rng.IntN(5)] },
		"backward": func(int) int64 { return []int64{60000, -30000, 1 << 40, -(1 << 40)}[rng.IntN(4)] },
	}
	values := map[string]func(i int, prev float64) float64{
		"counter": func(_ int, p float64) float64 { return p + float64(rng.IntN(100)) },
		"resets": func(_ int, p float64) float64 {
			if rng.IntN(10) == 0 {
				return 0
			}
			return p + float64(rng.IntN(1000))
		},
		"equal":  func(_ int, p float64) float64 { return p },
		"random": func(int, float64) float64 { return math.Float64frombits(rng.Uint64()) },
		"special": func(i int, p float64) float64 {
			return []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), math.Float64frombits(value.StaleNaN), 1e300, 5e-324, p}[rng.IntN(9)]
		},
	}
	for sname, step := range steps {
		for vname, next := range values {
			for _, n := range []int{0, 1, 2, 3, 120, 1000} {
				ts, vs := make([]int64, n), make([]float64, n)
				t0, v := int64(1771027200123)-rng.Int64N(1e9), float64(rng.IntN(1e6))
				for i := range n {
					if i > 0 {
						t0 += step(i)
					}
					v = next(i, v)
					ts[i], vs[i] = t0, v
				}
				data := xorChunk(t, ts, vs)
				var wantT []int64
				var wantV []uint64
				c, err := chunkenc.FromData(chunkenc.EncXOR, data)
				require.NoError(t, err)
				ci := c.Iterator(nil)
				for ci.Next() == chunkenc.ValFloat {
					tt, vv := ci.At()
					if !value.IsStaleNaN(vv) {
						wantT, wantV = append(wantT, tt), append(wantV, math.Float64bits(vv))
					}
				}
				require.NoError(t, ci.Err())
				gotT, gotV, err := decodeXOR(data, nil, nil)
				require.NoError(t, err, "%s/%s/%d", sname, vname, n)
				require.Equal(t, wantT, gotT, "%s/%s/%d: times", sname, vname, n)
				gotBits := make([]uint64, len(gotV))
				for i, f := range gotV {
					gotBits[i] = math.Float64bits(f)
				}
				if len(wantV) == 0 {
					require.Empty(t, gotBits)
				} else {
					require.Equal(t, wantV, gotBits, "%s/%s/%d: values, bit for bit", sname, vname, n)
				}
				if n > 1 {
					_, _, err := decodeXOR(data[:len(data)/2], nil, nil)
					require.ErrorIs(t, err, errChunk, "%s/%s/%d: a chunk cut in half", sname, vname, n)
				}
			}
		}
	}
}

// TestParseFrameEqualsProtobuf checks the frame reader against the protobuf messages.
func TestParseFrameEqualsProtobuf(t *testing.T) {
	resp := &prompb.ChunkedReadResponse{QueryIndex: 3, ChunkedSeries: []*prompb.ChunkedSeries{
		{Labels: []prompb.Label{{Name: "__name__", Value: "x"}, {Name: "code", Value: "200"}},
			Chunks: []prompb.Chunk{{MinTimeMs: 1, MaxTimeMs: 7200000, Type: prompb.Chunk_XOR, Data: []byte{0, 1, 2}},
				{MinTimeMs: 7200001, MaxTimeMs: 1 << 42, Type: prompb.Chunk_XOR, Data: []byte{9}}}},
		{Labels: []prompb.Label{{Name: "empty", Value: ""}}, Chunks: []prompb.Chunk{{MinTimeMs: -5, MaxTimeMs: 5, Type: prompb.Chunk_HISTOGRAM}}},
		{},
	}}
	frame, err := resp.Marshal()
	require.NoError(t, err)
	var got []rawPart
	require.NoError(t, parseFrame(frame, func(p *rawPart) error {
		got = append(got, rawPart{labels: p.labels, chunks: append([]rawChunk(nil), p.chunks...)})
		return nil
	}))
	require.Len(t, got, len(resp.ChunkedSeries))
	for i, s := range resp.ChunkedSeries {
		want := map[string]string{}
		for _, l := range s.Labels {
			want[l.Name] = l.Value
		}
		require.Equal(t, want, got[i].labels)
		require.Len(t, got[i].chunks, len(s.Chunks))
		for j, c := range s.Chunks {
			g := got[i].chunks[j]
			require.Equal(t, []int64{c.MinTimeMs, c.MaxTimeMs, int64(c.Type)}, []int64{g.minT, g.maxT, g.enc})
			require.Equal(t, len(c.Data), len(g.data))
		}
	}
	for cut := 1; cut < len(frame); cut += 7 {
		_ = parseFrame(frame[:cut], func(*rawPart) error { return nil }) // no panic on a cut frame
	}
}

// FuzzRawDecode feeds arbitrary bytes to the frame reader and the chunk decoder: errors,
// never a panic or a hang.
func FuzzRawDecode(f *testing.F) {
	f.Add(xorChunk(f, []int64{1, 61000, 121000, 180500}, []float64{1, 2, 2, math.NaN()}))
	f.Add([]byte{0x0a, 0x05, 0x12, 0x03, 0x22, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = decodeXOR(b, nil, nil)
		_ = parseFrame(b, func(p *rawPart) error {
			for _, c := range p.chunks {
				_, _, _ = decodeXOR(c.data, nil, nil)
			}
			return nil
		})
	})
}

// BenchmarkDecodeXOR decodes a 120-sample chunk of a jittered 1-minute counter, by our
// decoder and by Prometheus's iterator (ns/op per chunk; divide by 120 for a sample).
func BenchmarkDecodeXOR(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	ts, vs := make([]int64, 120), make([]float64, 120)
	t0, v := int64(1771027200000), 1e6
	for i := range ts {
		t0 += 60000 + rng.Int64N(2000) - 1000
		v += float64(rng.IntN(500))
		ts[i], vs[i] = t0, v
	}
	data := xorChunk(b, ts, vs)
	b.Run("nines", func(b *testing.B) {
		var gt []int64
		var gv []float64
		for b.Loop() {
			gt, gv, _ = decodeXOR(data, gt[:0], gv[:0])
		}
	})
	b.Run("prometheus", func(b *testing.B) {
		var it chunkenc.Iterator
		for b.Loop() {
			c, _ := chunkenc.FromData(chunkenc.EncXOR, data)
			it = c.Iterator(it)
			for it.Next() == chunkenc.ValFloat {
				_, _ = it.At()
			}
		}
	})
}
