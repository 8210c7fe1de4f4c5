module github.com/orchestratord/orchestratord/libs/sessions

go 1.26

require (
	github.com/matryer/is v1.4.1
	github.com/orchestratord/orchestratord/contracts v0.0.0
	go.etcd.io/bbolt v1.5.0
	go.uber.org/goleak v1.3.0
)

require golang.org/x/sys v0.45.0 // indirect

replace github.com/orchestratord/orchestratord/contracts => ../../contracts
