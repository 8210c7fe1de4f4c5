module github.com/orchestratord/orchestratord/libs/placement

go 1.26

require github.com/matryer/is v1.4.1
