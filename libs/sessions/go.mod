module github.com/orchestratord/orchestratord/libs/sessions

go 1.26

require (
	github.com/matryer/is v1.4.1
	go.uber.org/goleak v1.3.0
)
