module github.com/orchestratord/orchestratord/libs/placement

go 1.26
