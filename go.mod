module github.com/parley-go/parley

go 1.26

require go.uber.org/goleak v1.3.0 // indirect
