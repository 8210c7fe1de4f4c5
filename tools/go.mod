module github.com/orchestratord/orchestratord/tools

go 1.26
