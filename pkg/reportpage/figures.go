package reportpage

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// fig writes a figure that is also in the JSON report at pointer ptr: its JSON value v in
// data-value and text as what the reader sees. v is a string, bool, int, float64 or nil.
func fig(ptr string, v any, text string) string {
	return fmt.Sprintf(`<span class="fig" data-json="%s" data-value="%s">%s</span>`, esc(ptr), esc(jsonValue(v)), esc(text))
}

// figOpt writes an optional number: formatted by format, or "no data" when nil.
func figOpt(ptr string, v *float64, format func(float64) string) string {
	if v == nil {
		return fig(ptr, nil, "no data")
	}
	return fig(ptr, *v, format(*v))
}

// jsonValue writes a JSON scalar as the data-value contract says.
func jsonValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.FormatFloat(float64(x), 'g', -1, 64)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// Objective writes an objective (a ratio) as a percentage with the digits it was written
// with: 99.9 %, 99.995 %, 95 %.
func Objective(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e12)/1e10, 'f', -1, 64) + " %"
}

// pctN writes a ratio as a percentage with n decimals and a true minus sign.
func pctN(v float64, n int) string {
	return minus(strconv.FormatFloat(v*100, 'f', n, 64)) + " %"
}

func pct0(v float64) string { return pctN(v, 0) }
func pct1(v float64) string { return pctN(v, 1) }
func pct3(v float64) string { return pctN(v, 3) }

// burn writes a burn rate: "0.56×".
func burn(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + "×" }

// corr writes a correlation with three decimals.
func corr(v float64) string { return minus(strconv.FormatFloat(v, 'f', 3, 64)) }

// count writes a count of events with thousands separators.
func count(v float64) string {
	s := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "−" + b.String()
	}
	return b.String()
}

// duration writes seconds rounded to the minute, in days from two days on.
func duration(sec float64) string {
	d := time.Duration(sec * float64(time.Second)).Round(time.Minute)
	if d >= 48*time.Hour {
		return strconv.FormatFloat(d.Hours()/24, 'f', 1, 64) + " days"
	}
	h, m := int(d.Hours()), int(d.Minutes())%60
	if h == 0 {
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}

func minus(s string) string { return strings.Replace(s, "-", "−", 1) }
