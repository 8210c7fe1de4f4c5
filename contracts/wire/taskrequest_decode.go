package wire

import (
	"strconv"
	"unicode/utf8"
)

// DecodeCommon decodes data into r, which must be zero, without reflection
// when data has the common form of a task request, and reports whether it
// did. The result is then exactly what json.Unmarshal gives. The common form
// is one JSON object, with nothing but whitespace around it, whose keys are
// fields of TaskRequest spelled exactly and at most once each, whose strings
// have no escape sequences and are valid UTF-8, and with no null. Anything
// else — including every malformed or mistyped body — reports false and
// leaves r in an unspecified state: reset it and use encoding/json, which
// also names the error.
func (r *TaskRequest) DecodeCommon(data []byte) bool {
	d := plainDecoder{b: data}
	var seen uint32
	ok := d.object(func(key []byte) bool {
		bit, ok := r.decodeField(&d, key)
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
	return ok && d.end()
}

// decodeField decodes the value of key and returns the field's bit.
func (r *TaskRequest) decodeField(d *plainDecoder, key []byte) (uint32, bool) {
	var ok bool
	switch string(key) {
	case "task_id":
		r.TaskID, ok = d.str()
		return 1 << 0, ok
	case "session_id":
		r.SessionID, ok = d.str()
		return 1 << 1, ok
	case "workload":
		var s string
		s, ok = d.str()
		r.Workload = Workload(s)
		return 1 << 2, ok
	case "model_ref":
		r.ModelRef, ok = d.str()
		return 1 << 3, ok
	case "engine":
		var s string
		s, ok = d.str()
		r.Engine = Engine(s)
		return 1 << 4, ok
	case "prompt":
		r.Prompt, ok = d.str()
		return 1 << 5, ok
	case "inputs":
		r.Inputs, ok = d.strs()
		return 1 << 6, ok
	case "ctx":
		r.Ctx, ok = d.intPtr()
		return 1 << 7, ok
	case "max_tokens":
		r.MaxTokens, ok = d.intPtr()
		return 1 << 8, ok
	case "priority":
		var s string
		s, ok = d.str()
		r.Priority = Priority(s)
		return 1 << 9, ok
	case "deadline_ms":
		r.DeadlineMs, ok = d.int64Ptr()
		return 1 << 10, ok
	case "seed":
		r.Seed, ok = d.int64Ptr()
		return 1 << 11, ok
	case "determinism":
		var s string
		s, ok = d.str()
		r.Determinism = Determinism(s)
		return 1 << 12, ok
	case "sampler_profile_version":
		r.SamplerProfileVersion, ok = d.str()
		return 1 << 13, ok
	case "temperature":
		r.Temperature, ok = d.float64Ptr()
		return 1 << 14, ok
	case "top_p":
		r.TopP, ok = d.float64Ptr()
		return 1 << 15, ok
	case "stop":
		r.Stop, ok = d.stop()
		return 1 << 16, ok
	case "expected_tokens":
		r.ExpectedTokens, ok = d.intPtr()
		return 1 << 17, ok
	case "kv_hint":
		var s string
		s, ok = d.str()
		r.KVHint = KVHint(s)
		return 1 << 18, ok
	case "placement":
		r.Placement = &PlacementRequest{}
		return 1 << 19, r.Placement.decode(d)
	}
	return 0, false
}

func (p *PlacementRequest) decode(d *plainDecoder) bool {
	var seen uint32
	return d.object(func(key []byte) bool {
		var bit uint32
		ok := false
		switch string(key) {
		case "mode":
			var s string
			s, ok = d.str()
			p.Mode, bit = PlacementMode(s), 1<<0
		case "pin_pool_id":
			p.PinPoolID, ok = d.str()
			bit = 1 << 1
		case "prefer_pools":
			p.PreferPools, ok = d.strs()
			bit = 1 << 2
		case "avoid_pools":
			p.AvoidPools, ok = d.strs()
			bit = 1 << 3
		case "require_device_mask":
			p.RequireDeviceMask, ok = d.str()
			bit = 1 << 4
		case "allow_fallback":
			var b bool
			b, ok = d.boolean()
			p.AllowFallback, bit = &b, 1<<5
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
}

// plainDecoder reads the common form of JSON that DecodeCommon accepts; every
// method reports false on anything else.
type plainDecoder struct {
	b   []byte
	pos int
}

func (d *plainDecoder) ws() {
	for d.pos < len(d.b) {
		switch d.b[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// consume skips whitespace and then c when it comes next.
func (d *plainDecoder) consume(c byte) bool {
	d.ws()
	if d.pos < len(d.b) && d.b[d.pos] == c {
		d.pos++
		return true
	}
	return false
}

// end reports whether only whitespace is left.
func (d *plainDecoder) end() bool {
	d.ws()
	return d.pos == len(d.b)
}

// object reads an object, calling member with each key positioned at its
// value.
func (d *plainDecoder) object(member func(key []byte) bool) bool {
	if !d.consume('{') {
		return false
	}
	if d.consume('}') {
		return true
	}
	for {
		d.ws()
		key, ok := d.raw()
		if !ok || !d.consume(':') {
			return false
		}
		d.ws()
		if !member(key) {
			return false
		}
		if d.consume(',') {
			continue
		}
		return d.consume('}')
	}
}

// raw reads a string without escape sequences and returns its bytes.
func (d *plainDecoder) raw() ([]byte, bool) {
	if d.pos >= len(d.b) || d.b[d.pos] != '"' {
		return nil, false
	}
	start := d.pos + 1
	ascii := true
	for i := start; i < len(d.b); i++ {
		switch c := d.b[i]; {
		case c == '"':
			s := d.b[start:i]
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			d.pos = i + 1
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

func (d *plainDecoder) str() (string, bool) {
	s, ok := d.raw()
	return string(s), ok
}

// strs reads an array of strings; [] is an empty, non-nil slice, as
// encoding/json makes it.
func (d *plainDecoder) strs() ([]string, bool) {
	if !d.consume('[') {
		return nil, false
	}
	list := []string{}
	if d.consume(']') {
		return list, true
	}
	for {
		d.ws()
		s, ok := d.str()
		if !ok {
			return nil, false
		}
		list = append(list, s)
		if d.consume(',') {
			continue
		}
		return list, d.consume(']')
	}
}

// stop reads the "stop" field as StopSequences.UnmarshalJSON does: a string
// ("" meaning none) or an array of strings.
func (d *plainDecoder) stop() (StopSequences, bool) {
	if d.pos < len(d.b) && d.b[d.pos] == '[' {
		return d.strs()
	}
	s, ok := d.str()
	if !ok || s == "" {
		return nil, ok
	}
	return StopSequences{s}, true
}

// number reads a JSON number and returns its text and whether it is an
// integer (no fraction, no exponent).
func (d *plainDecoder) number() (text []byte, integer, ok bool) {
	b, i := d.b, d.pos
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return nil, false, false
	}
	integer = true
	if i < len(b) && b[i] == '.' {
		integer = false
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return nil, false, false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		integer = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return nil, false, false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	text, d.pos = b[d.pos:i], i
	return text, integer, true
}

func (d *plainDecoder) integer(bits int) (int64, bool) {
	text, integer, ok := d.number()
	if !ok || !integer {
		return 0, false
	}
	n, err := strconv.ParseInt(string(text), 10, bits)
	return n, err == nil
}

func (d *plainDecoder) intPtr() (*int, bool) {
	n, ok := d.integer(strconv.IntSize)
	v := int(n)
	return &v, ok
}

func (d *plainDecoder) int64Ptr() (*int64, bool) {
	n, ok := d.integer(64)
	return &n, ok
}

func (d *plainDecoder) float64Ptr() (*float64, bool) {
	text, _, ok := d.number()
	if !ok {
		return nil, false
	}
	f, err := strconv.ParseFloat(string(text), 64)
	return &f, err == nil
}

func (d *plainDecoder) boolean() (bool, bool) {
	rest := d.b[d.pos:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		d.pos += 4
		return true, true
	case len(rest) >= 5 && string(rest[:5]) == "false":
		d.pos += 5
		return false, true
	}
	return false, false
}
