module github.com/orchestratord/orchestratord/libs/streaming

go 1.26
