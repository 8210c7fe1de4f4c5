package simengine

import (
	"net/http"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestOllamaModelSwitch(t *testing.T) {
	is := is.New(t)
	_, ts := startServer(t, WithModels("tiny", "big"), WithSwitchTime(30*time.Millisecond))

	status, body := get(t, ts, "/api/tags")
	is.Equal(status, http.StatusOK)                                                            // tags served
	is.Equal(body, `{"models":[{"name":"tiny","model":"tiny"},{"name":"big","model":"big"}]}`) // every served model
	_, body = get(t, ts, "/api/ps")
	is.Equal(body, `{"models":[{"name":"tiny","model":"tiny"}]}`) // the first model is loaded at start
	_, body = get(t, ts, "/api/version")
	is.Equal(body, `{"version":"`+ollamaVersion+`"}`) // a version

	start := time.Now()
	status, _, body = fetch(t, ts, "/api/generate", `{"model":"big","prompt":"","stream":false,"keep_alive":-1}`)
	is.Equal(status, http.StatusOK)                         // loaded
	is.Equal(field[string](t, body, "done_reason"), "load") // as Ollama answers a load
	is.True(time.Since(start) >= 30*time.Millisecond)       // after the switch time
	status, _, _ = fetch(t, ts, "/api/generate", `{"model":"tiny","prompt":"","keep_alive":0}`)
	is.Equal(status, http.StatusOK) // unloaded
	_, body = get(t, ts, "/api/ps")
	is.Equal(body, `{"models":[{"name":"big","model":"big"}]}`) // switched

	status, _, body = fetch(t, ts, "/api/generate", `{"model":"huge","prompt":""}`)
	is.Equal(status, http.StatusNotFound)                               // not a local model
	is.Equal(field[string](t, body, "error"), "model 'huge' not found") // Ollama's message
	status, _, _ = fetch(t, ts, "/api/generate", `{"model":"big","prompt":"hi"}`)
	is.Equal(status, http.StatusBadRequest) // generation over the native API is not simulated
	status, _, _ = fetch(t, ts, "/api/generate", `{"prompt":""}`)
	is.Equal(status, http.StatusBadRequest) // model required
	_, body = get(t, ts, "/api/ps")
	is.Equal(body, `{"models":[{"name":"big","model":"big"}]}`) // failures changed nothing
}
