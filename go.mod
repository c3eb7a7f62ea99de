module github.com/presign-dev/presign

go 1.26
