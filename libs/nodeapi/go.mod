module github.com/orchestratord/orchestratord/libs/nodeapi

go 1.26
