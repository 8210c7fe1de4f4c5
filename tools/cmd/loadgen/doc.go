// Command loadgen drives closed-loop load against an engine, a plain reverse
// proxy, or orchestratord, and reports throughput, time to first token,
// errors, incomplete streams and the CPU per request of its own process, and
// with --pid and --engine-pid of the relay's and the engine's (see package
// loadgen).
//
//	loadgen --target direct --url http://127.0.0.1:8081 -c 64 --duration 10s
//	loadgen --target orchd --url http://127.0.0.1:8080 -c 64 --requests 5000 --pid 1234 --engine-pid 1200 --json
//
// Import rule: main is thin — it parses flags into a loadgen.Config, runs it
// and prints the report; it imports only the loadgen package and the
// standard library.
package main
