module github.com/orchestratord/orchestratord/libs/metrics

go 1.26
