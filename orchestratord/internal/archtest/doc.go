// Package archtest enforces the workspace's import rules (docs/architecture.md):
// no lib imports the daemon or another lib, libs and contracts import only the
// standard library plus their declared third-party dependencies, and only
// echohttp packages import echo.
package archtest
