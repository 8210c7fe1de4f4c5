module github.com/orchestratord/orchestratord/contracts

go 1.26
