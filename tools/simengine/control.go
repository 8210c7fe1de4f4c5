package simengine

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// maxWaitIdle bounds GET /_sim/stats?wait_idle=1.
const maxWaitIdle = time.Minute

func writeControlJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, status, contentTypeOAIJSON, b)
}

func (s *Server) handleGetFaults(w http.ResponseWriter, _ *http.Request) {
	writeControlJSON(w, http.StatusOK, s.Faults())
}

// handlePostFaults applies a FaultUpdate and answers the resulting faults.
func (s *Server) handlePostFaults(w http.ResponseWriter, r *http.Request) {
	var u FaultUpdate
	if err := decodeBody(r, &u); err != nil {
		writeControlJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	f, err := s.UpdateFaults(u)
	if err != nil {
		writeControlJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeControlJSON(w, http.StatusOK, f)
}

// handleStats answers the counters; with wait_idle=1 it first waits until no
// generation is active or waiting, for at most timeout_ms (default and
// maximum one minute), and answers 504 if that did not happen.
func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("wait_idle") == "1" || q.Get("wait_idle") == "true" {
		timeout := maxWaitIdle
		if v := q.Get("timeout_ms"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				writeControlJSON(w, http.StatusBadRequest, map[string]string{"error": "timeout_ms must be a non-negative integer"})
				return
			}
			timeout = min(time.Duration(n)*time.Millisecond, maxWaitIdle)
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		err := s.WaitIdle(ctx)
		cancel()
		if err != nil {
			writeControlJSON(w, http.StatusGatewayTimeout, s.Stats())
			return
		}
	}
	writeControlJSON(w, http.StatusOK, s.Stats())
}
