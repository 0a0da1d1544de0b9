module github.com/hoop-io/hoop

go 1.22
