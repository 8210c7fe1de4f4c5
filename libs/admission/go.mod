module github.com/orchestratord/orchestratord/libs/admission

go 1.26
