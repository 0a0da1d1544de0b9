module github.com/hoop-io/hoop

go 1.22

require (
	golang.org/x/net v0.30.0
	golang.org/x/sys v0.26.0
)
