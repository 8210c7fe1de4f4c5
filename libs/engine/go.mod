module github.com/orchestratord/orchestratord/libs/engine

go 1.26

require (
	github.com/matryer/is v1.4.1
	github.com/orchestratord/orchestratord/contracts v0.0.0
	go.uber.org/goleak v1.3.0
)

replace github.com/orchestratord/orchestratord/contracts => ../../contracts
