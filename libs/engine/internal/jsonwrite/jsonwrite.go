// Package jsonwrite appends the JSON of engine request bodies by hand, byte
// for byte what encoding/json writes with HTML escaping off, without its
// reflection (a request is built per generation, on the hot path).
package jsonwrite

import (
	"fmt"
	"math"
	"strconv"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// Object appends JSON object members; the first one opens the object.
// Finish closes it.
type Object struct {
	b    []byte
	open bool
}

// New starts an object in dst[:0].
func New(dst []byte) Object { return Object{b: append(dst[:0], '{')} }

func (o *Object) key(k string) {
	if o.open {
		o.b = append(o.b, ',')
	}
	o.open = true
	o.b = append(o.b, '"')
	o.b = append(o.b, k...) // keys are constants without characters to escape
	o.b = append(o.b, '"', ':')
}

// String appends "k": s.
func (o *Object) String(k, s string) {
	o.key(k)
	o.b = wire.AppendString(o.b, s)
}

// Int appends "k": n.
func (o *Object) Int(k string, n int64) {
	o.key(k)
	o.b = strconv.AppendInt(o.b, n, 10)
}

// Bool appends "k": v.
func (o *Object) Bool(k string, v bool) {
	o.key(k)
	o.b = strconv.AppendBool(o.b, v)
}

// Raw appends "k": raw, which must be valid JSON.
func (o *Object) Raw(k, raw string) {
	o.key(k)
	o.b = append(o.b, raw...)
}

// Strings appends "k": [s...].
func (o *Object) Strings(k string, ss []string) {
	o.key(k)
	o.b = append(o.b, '[')
	for i, s := range ss {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = wire.AppendString(o.b, s)
	}
	o.b = append(o.b, ']')
}

// Float appends "k": f as encoding/json writes a float64; NaN and ±Inf,
// which JSON cannot hold, are an error.
func (o *Object) Float(k string, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("json: unsupported value: %s", strconv.FormatFloat(f, 'g', -1, 64))
	}
	o.key(k)
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	o.b = strconv.AppendFloat(o.b, f, format, -1, 64)
	if format == 'e' {
		// e-09 → e-9, as encoding/json writes it
		if n := len(o.b); n >= 4 && o.b[n-4] == 'e' && o.b[n-3] == '-' && o.b[n-2] == '0' {
			o.b[n-2] = o.b[n-1]
			o.b = o.b[:n-1]
		}
	}
	return nil
}

// Objects appends "k": [...] of n objects whose members fill writes.
func (o *Object) Objects(k string, n int, fill func(i int, item *Object)) {
	o.key(k)
	o.b = append(o.b, '[')
	for i := range n {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		item := Object{b: append(o.b, '{')}
		fill(i, &item)
		o.b = append(item.b, '}')
	}
	o.b = append(o.b, ']')
}

// Finish closes the object and returns its bytes, with the trailing newline
// of json.Encoder.
func (o *Object) Finish() []byte { return append(o.b, '}', '\n') }
