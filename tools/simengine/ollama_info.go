package simengine

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
)

// farFuture is the expires_at of a model kept loaded (OLLAMA_KEEP_ALIVE=-1).
var farFuture = time.Date(2318, 6, 1, 0, 0, 0, 0, time.UTC)

func (s *Server) handleOllamaVersion(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, contentTypeOllamaJSON, []byte(`{"version":"`+OllamaVersion+`"}`))
}

// handleOllamaTags lists every served model (api.ListResponse).
func (s *Server) handleOllamaTags(w http.ResponseWriter, _ *http.Request) {
	s.writeOllamaModels(w, false)
}

// handleOllamaPs lists the loaded models (api.ProcessResponse) once the
// simulated load time is over.
func (s *Server) handleOllamaPs(w http.ResponseWriter, _ *http.Request) {
	s.writeOllamaModels(w, true)
}

func (s *Server) writeOllamaModels(w http.ResponseWriter, ps bool) {
	b := []byte(`{"models":[`)
	models := s.cfg.models
	if ps {
		models = s.loaded.list()
	}
	if !ps || !s.Loading() {
		for i, m := range models {
			if i > 0 {
				b = append(b, ',')
			}
			b = s.appendOllamaModel(b, m, ps)
		}
	}
	b = append(b, "]}"...)
	writeJSON(w, http.StatusOK, contentTypeOllamaJSON, b)
}

// appendOllamaModel appends one api.ListModelResponse, or with ps one
// api.ProcessModelResponse.
func (s *Server) appendOllamaModel(b []byte, model string, ps bool) []byte {
	name := ollamaName(model)
	sum := sha256.Sum256([]byte(model))
	b = append(b, `{"name":`...)
	b = appendGoJSONString(b, name)
	b = append(b, `,"model":`...)
	b = appendGoJSONString(b, name)
	if !ps {
		b = append(b, `,"modified_at":"`...)
		b = s.readyAt.UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	b = append(b, `,"size":520147,"digest":"`...)
	b = hex.AppendEncode(b, sum[:])
	b = append(b, `","details":{"parent_model":"","format":"gguf","family":"llama","families":["llama"],`+
		`"parameter_size":"128K","quantization_level":"F32"}`...)
	if ps {
		b = append(b, `,"expires_at":"`...)
		b = farFuture.AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","size_vram":0,"context_length":`...)
		b = strconv.AppendInt(b, int64(s.cfg.ctx), 10)
	}
	return append(b, '}')
}

// appendGoJSONString appends s as Go's encoding/json writes a string with
// HTML escaping on (json.Marshal, as Ollama and gin use it): '"' and '\\'
// escaped, \b \f \n \r \t by name, other control characters and '<', '>',
// '&', U+2028, U+2029 as \u00xx / \u20xx (lower-case hex), invalid UTF-8
// as \ufffd, everything else raw.
func appendGoJSONString[T ~string | ~[]byte](b []byte, s T) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
