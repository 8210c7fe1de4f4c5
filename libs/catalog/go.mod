module github.com/orchestratord/orchestratord/libs/catalog

go 1.26
