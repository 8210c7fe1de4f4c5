// Command simengine runs the simulated inference engine of package
// simengine: a server that speaks the llama.cpp server and vLLM/OpenAI
// protocols with configurable slots, pace and faults. Its first line of
// output is "listening on http://<addr>"; SIGINT or SIGTERM stops it.
//
//	simengine --addr 127.0.0.1:8081 --slots 4 --model tiny,small --token-delay 5ms
//
// Import rule: main is thin — it parses flags into simengine options and
// serves; it imports only the simengine package and the standard library.
package main
