// Command node-agent runs on a GPU node next to its inference engines: it
// registers them with orchestratord as pools, probes them on every interval,
// heartbeats their state, re-registers after an orchestrator restart, and
// serves the control API (drain, reload, purge) the orchestrator calls.
//
//	node-agent --orchestrator http://10.0.0.1:8080 --node-id gpu-1 \
//	  --engine pool_id=gpu1-llama,engine=llamacpp,url=http://127.0.0.1:8081,models=llama-3-8b,slots=4 \
//	  --engine pool_id=gpu1-ollama,engine=ollama,url=http://127.0.0.1:11434
//	# first line on stdout: listening on http://127.0.0.1:41234
//
// The node token comes from --token or ORCHD_NODE_TOKEN; --config agent.yaml
// holds the same settings (see tools/nodeagent/README.md). SIGTERM
// deregisters the node and exits 0. Exit codes: 0, 1 failure, 2 usage.
//
// Import rule: tools/nodeagent, contracts and zerolog; main is thin.
package main
