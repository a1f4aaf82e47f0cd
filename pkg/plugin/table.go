package plugin

import (
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// column is one column of a table frame built from rows of type R.
type column[R any] struct {
	name  string
	cfg   *data.FieldConfig
	build func(name string, rows []R) *data.Field
}

// col is a column named name whose values get reads from each row; V is one of the
// field types frames hold (string, float64, *float64, int64, bool, time.Time, ...).
func col[R, V any](name string, get func(R) V) column[R] {
	return column[R]{name: name, build: func(name string, rows []R) *data.Field {
		vals := make([]V, len(rows))
		for i, r := range rows {
			vals[i] = get(r)
		}
		return data.NewField(name, nil, vals)
	}}
}

// with sets the column's field config (unit, decimals, thresholds, mappings).
func (c column[R]) with(cfg *data.FieldConfig) column[R] {
	c.cfg = cfg
	return c
}

// tableFrame builds a table frame with one field per column, in order.
func tableFrame[R any](name string, rows []R, cols ...column[R]) *data.Frame {
	fields := make([]*data.Field, len(cols))
	for i, c := range cols {
		fields[i] = c.build(c.name, rows)
		if c.cfg != nil {
			fields[i].SetConfig(c.cfg)
		}
	}
	f := data.NewFrame(name, fields...)
	f.Meta = &data.FrameMeta{Type: data.FrameTypeTable, PreferredVisualization: data.VisTypeTable}
	return f
}

// percentCfg is a percent-unit field config with dec decimals.
func percentCfg(dec uint16) *data.FieldConfig {
	return (&data.FieldConfig{Unit: "percentunit"}).SetDecimals(dec)
}
