module github.com/orchestratord/orchestratord/libs/artifacts

go 1.26
