package wire

import (
	"bytes"
	"encoding/json"
)

// StopSequences is the "stop" field: a single string or an array of strings
// on the wire (OpenAI accepts both). It always encodes as an array, which
// every engine of api.md §4 accepts. An empty string or null decodes to nil.
type StopSequences []string

// UnmarshalJSON accepts null, a string or an array of strings.
func (s *StopSequences) UnmarshalJSON(data []byte) error {
	list, err := stringOrList(data, "stop")
	if err != nil {
		return err
	}
	*s = list
	return nil
}

// PromptList is the "prompt" field of an OpenAI completion request: a string
// or an array of strings. Token-id prompts are refused. A single prompt
// encodes as a string, several as an array.
type PromptList []string

// UnmarshalJSON accepts null, a string or an array of strings.
func (p *PromptList) UnmarshalJSON(data []byte) error {
	list, err := stringOrList(data, "prompt")
	if err != nil {
		return err
	}
	*p = list
	return nil
}

// MarshalJSON encodes one prompt as a string and several as an array.
func (p PromptList) MarshalJSON() ([]byte, error) {
	if len(p) == 1 {
		return appendJSONString(nil, p[0]), nil
	}
	if p == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]string(p))
}

// Joined returns the prompts as one text, separated by blank lines.
func (p PromptList) Joined() string {
	switch len(p) {
	case 0:
		return ""
	case 1:
		return p[0]
	}
	n := 0
	for _, s := range p {
		n += len(s) + 2
	}
	b := make([]byte, 0, n)
	for i, s := range p {
		if i > 0 {
			b = append(b, '\n', '\n')
		}
		b = append(b, s...)
	}
	return string(b)
}

// stringOrList decodes null, "s" or ["a", "b"]; field names the field in the
// error. An empty single string means "none".
func stringOrList(data []byte, field string) ([]string, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, &FieldError{Field: field, Reason: "must be a string or an array of strings"}
	}
	switch data[0] {
	case 'n':
		return nil, nil
	case '"':
		var one string
		if err := json.Unmarshal(data, &one); err != nil {
			return nil, &FieldError{Field: field, Reason: "must be a string or an array of strings"}
		}
		if one == "" {
			return nil, nil
		}
		return []string{one}, nil
	case '[':
		var list []string
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, &FieldError{Field: field, Reason: "must be a string or an array of strings"}
		}
		return list, nil
	}
	return nil, &FieldError{Field: field, Reason: "must be a string or an array of strings"}
}
