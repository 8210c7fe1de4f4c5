module github.com/orchestratord/orchestratord/orchestratord

go 1.26
