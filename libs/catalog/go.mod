module github.com/orchestratord/orchestratord/libs/catalog

go 1.26

require (
	github.com/matryer/is v1.4.1
	go.etcd.io/bbolt v1.5.0
	go.uber.org/goleak v1.3.0
)

require golang.org/x/sys v0.45.0 // indirect
