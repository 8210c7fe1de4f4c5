module github.com/orchestratord/orchestratord/libs/engine

go 1.26
