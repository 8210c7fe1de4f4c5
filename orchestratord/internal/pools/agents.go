package pools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// maxAgentAnswer bounds the body of a node agent's answer that is read.
const maxAgentAnswer = 64 << 10

// AgentError is a node agent's refusal of a control call: its status and
// the contract's envelope it answered with (Code empty when it sent none).
type AgentError struct {
	Status  int
	Code    wire.ErrorCode
	Message string
}

func (e *AgentError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("node agent answered %d", e.Status)
	}
	return fmt.Sprintf("node agent answered %d %s: %s", e.Status, e.Code, e.Message)
}

// HTTPAgents calls node agents' control APIs over HTTP with the node token.
type HTTPAgents struct {
	hc    *http.Client
	token string
}

var _ Agents = (*HTTPAgents)(nil)

// NewHTTPAgents returns a client sending token as a bearer token (none when
// empty) through hc.
func NewHTTPAgents(hc *http.Client, token string) *HTTPAgents {
	return &HTTPAgents{hc: hc, token: token}
}

// Send posts body to {address}/v2/pools/{poolID}/{action}.
func (a *HTTPAgents) Send(ctx context.Context, address, poolID, action string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	u := strings.TrimRight(address, "/") + "/v2/pools/" + url.PathEscape(poolID) + "/" + action
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxAgentAnswer))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	ae := &AgentError{Status: resp.StatusCode}
	var env wire.ErrorEnvelope
	if json.Unmarshal(raw, &env) == nil {
		ae.Code, ae.Message = env.Code, env.Message
	}
	return ae
}
